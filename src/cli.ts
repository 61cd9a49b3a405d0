#!/usr/bin/env node
/**
 * The `robustlens` command. Subcommands live in src/cli/NAME.ts (see src/cli/command.ts for the
 * contract); add one by importing it and listing it in `commands` below.
 * Exit codes: 0 success, 1 failure (an error message says what to do), 2 a wrong command line.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT, UsageError, type Command } from './cli/command.js';
import { attack } from './cli/attack.js';
import { bench } from './cli/bench.js';
import { info } from './cli/info.js';
import { logits } from './cli/logits.js';
import { similarity } from './cli/similarity.js';
import { simplicity } from './cli/simplicity.js';
import { study } from './cli/study.js';
import { train } from './cli/train.js';
import { RobustlensError } from './errors.js';
import { setFastPolling } from './node.js';

export const commands: readonly Command[] = [study, train, attack, similarity, logits, simplicity, bench, info];

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
    'Exit codes: 0 success, 1 failure, 2 wrong command line.',
  ].join('\n');
}

/** Runs the CLI on `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    console.log(topic ? topic.help : mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  // The CLI owns its process: the engine's GPU waits poll gently (src/gpu/fast-polling.ts), which
  // doubled throughput on two cores. A library user opts in with init({ fastPolling: true }).
  setFastPolling('scoped');
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
    if (e instanceof RobustlensError) {
      console.error(`robustlens ${name}: ${e.message}`);
      return EXIT.failure;
    }
    console.error(`robustlens ${name}: unexpected error:`, e);
    return EXIT.failure;
  }
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
      console.error(e);
      process.exit(EXIT.failure);
    },
  );
}
