#!/usr/bin/env node
/**
 * The `robustlens` command. Subcommands live in src/cli/NAME.ts (see src/cli/command.ts for the
 * contract); add one by importing it and listing it in `commands` below.
 * Exit codes: 0 success, 1 failure (an error message says what to do), 2 a wrong command line.
 * A failure is one line on stderr; `--debug` (anywhere on the line) prints the full error and its stack.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT, InputError, UsageError, type Command } from './cli/command.js';
import { fsErrorLine } from './cli/files.js';
import { attack } from './cli/attack.js';
import { bench } from './cli/bench.js';
import { cka } from './cli/cka.js';
import { distill } from './cli/distill.js';
import { info } from './cli/info.js';
import { tune } from './cli/tune.js';
import { logits } from './cli/logits.js';
import { similarity } from './cli/similarity.js';
import { simplicity } from './cli/simplicity.js';
import { study } from './cli/study.js';
import { train } from './cli/train.js';
import { RobustlensError } from './errors.js';
import { setFastPolling } from './node.js';

export const commands: readonly Command[] = [study, train, attack, similarity, cka, logits, simplicity, distill, bench, info, tune];

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: robustlens <command> [options]',
    '',
    'A WebGPU numerics engine for studying adversarially robust networks.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'robustlens <command> --help' for a command's options.",
    'Every command takes --debug: on failure, print the full error with its stack trace.',
    'Exit codes: 0 success, 1 failure (one line says what to do), 2 wrong command line.',
  ].join('\n');
}

/** Runs the CLI on `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const [name, ...rest] = argv.filter((a) => a !== '--debug');
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    console.log(topic ? topic.help : mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  // The CLI owns its process, so Dawn polls gently for the whole of it (src/gpu/fast-polling.ts).
  // 'scoped' (only during the engine's own waits) kept part of the gain: in one bench run on an idle
  // two-core machine, conv 32->64 forward / dx / dw took 16.7 / 25.5 / 18.7 ms scoped and 15.4 / 16.6 /
  // 17.2 ms always, conv 1->32 dx 8.5 vs 4.4 ms. A library user opts in with init({ fastPolling }).
  setFastPolling('always');
  try {
    if (!command) throw new UsageError(`unknown command '${name}'; the commands are: ${commands.map((c) => c.name).join(', ')}`);
    const parsed = (() => {
      try {
        return parseArgs({
          args: [...rest],
          options: { ...command.options, help: { type: 'boolean', short: 'h' } },
          allowPositionals: command.positionals ?? false,
          strict: true,
        });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    })();
    if (parsed.values.help) {
      console.log(command.help);
      return EXIT.ok;
    }
    return await command.run({ values: parsed.values, positionals: parsed.positionals });
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`robustlens: ${e.message}\nRun 'robustlens ${command ? `${command.name} ` : ''}--help' for usage.`);
      return EXIT.usage;
    }
    reportFailure(name!, e, debug);
    return EXIT.failure;
  }
}

/**
 * A failure as the user sees it: one line (the command and what to do), or with --debug the
 * full error and its stack. Errors robustlens raises on purpose say what to do themselves; a file
 * the system could not open names its path; anything else is a bug, reported as one.
 */
function reportFailure(name: string, e: unknown, debug: boolean): void {
  if (debug) {
    console.error(`robustlens ${name}: ${e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e)}`);
    return;
  }
  if (e instanceof InputError || e instanceof RobustlensError) {
    console.error(`robustlens ${name}: ${e.message}`);
    return;
  }
  const fs = fsErrorLine(e);
  if (fs) {
    console.error(`robustlens ${name}: ${fs}`);
    return;
  }
  const first = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0];
  console.error(`robustlens ${name}: unexpected error: ${first} (a bug in robustlens: run again with --debug for the stack trace, and report it)`);
}

// Run when executed directly (not when a test imports `main`). dawn.node keeps the event loop
// alive after the device is gone, so leave explicitly with the command's exit code.
function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      // main() reports every error itself; reaching here is a bug in the dispatcher.
      console.error('robustlens: unexpected error:', e);
      process.exit(EXIT.failure);
    },
  );
}
