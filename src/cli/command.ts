/**
 * The contract of a `robustlens` subcommand. Each subcommand lives in its own file under src/cli/
 * and is listed once in src/cli.ts; the dispatcher parses its options (node:util parseArgs, strict),
 * prints its `--help`, and maps errors to exit codes.
 */
import type { ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  /** The word after `robustlens`. */
  name: string;
  /** One line for `robustlens --help`. */
  summary: string;
  /** The text of `robustlens NAME --help` (usage line, options, examples). */
  help: string;
  /** Options understood by parseArgs; `--help` is added by the dispatcher. */
  options: Options;
  /** Whether positional arguments are allowed. */
  positionals?: boolean;
  /** Runs the command; resolves to the process exit code. */
  run(args: ParsedArgs): Promise<number>;
}

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A wrong command line: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A file or value the user gave that cannot be used (a missing checkpoint, a directory where a file
 * belongs, a file of the wrong kind): one line naming it and what to do, exit code 1.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
