/**
 * The benchmarks (`robustlens bench`, `npm run bench`, `npx vite-node bench/index.ts [NAME...]
 * [--reps N]`). Ceilings always run first, since every other row is reported as a fraction of them.
 * conv, train-step and pgd also run TF.js WebGPU on our GPUDevice (bench/peers/tfjs.ts) side by side;
 * jax runs jax-js WebGPU on its own device on our adapter (bench/peers/jax.ts) against ours.
 * Rows go to stdout as a table and to out/bench-<name>.json, with the load average.
 */
import { loadavg } from 'node:os';
import { shutdown } from '../src/node.js';
import { benchCeilings, releaseCeilings } from './ceilings.js';
import { benchConv } from './conv.js';
import { benchElementwise } from './elementwise.js';
import { benchJax } from './jax.js';
import { benchMatmul } from './matmul.js';
import { benchPgd } from './pgd.js';
import { benchTrainStep } from './train-step.js';
import { printRows, setup, writeJson, type BenchContext, type Row } from './harness.js';

export const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<Row[]>> = {
  matmul: benchMatmul,
  elementwise: benchElementwise,
  conv: (ctx) => benchConv(ctx),
  'train-step': (ctx) => benchTrainStep(ctx),
  pgd: (ctx) => benchPgd(ctx),
  jax: benchJax,
};

export interface BenchOptions {
  /** Names from BENCHMARKS (default: all). */
  only?: string[];
  /** Timed repetitions per case (median reported); default 7. */
  reps?: number;
}

export async function runBenchmarks(opts: BenchOptions = {}): Promise<Row[]> {
  const names = opts.only ?? Object.keys(BENCHMARKS);
  for (const n of names) {
    if (!(n in BENCHMARKS) && n !== 'ceilings') throw new Error(`bench: unknown benchmark '${n}'; choose from ${['ceilings', ...Object.keys(BENCHMARKS)].join(', ')}`);
  }
  const ctx = await setup(opts.reps ?? 7);
  try {
    const load = (): number[] => loadavg().map((l) => Math.round(100 * l) / 100);
    console.log(`robustlens bench on ${ctx.adapter} (medians of ${ctx.reps}; load average ${load().join(' ')}; machine load changes results: compare rows of one run)`);
    const all: Row[] = [];
    const ceil = await benchCeilings(ctx);
    all.push(...ceil);
    printRows(ceil);
    writeJson('ceilings', { adapter: ctx.adapter, date: new Date().toISOString(), loadavg: load(), rows: ceil });
    for (const name of names) {
      if (name === 'ceilings') continue;
      const rows = await BENCHMARKS[name]!(ctx);
      console.log('');
      printRows(rows);
      const file = writeJson(name, { adapter: ctx.adapter, date: new Date().toISOString(), loadavg: load(), ceilings: ctx.ceilings, rows });
      console.log(`-> ${file}`);
      all.push(...rows);
    }
    return all;
  } finally {
    releaseCeilings(ctx);
    shutdown();
  }
}

// `npx vite-node bench/index.ts [NAME...] [--reps N]` (vite-node drops the script from argv).
const entry = process.argv[1] ?? '';
const isMain = /bench[\\/]index\.ts$/.test(entry) || /vite-node$/.test(entry);
if (isMain) {
  const args = process.argv.slice(2);
  const r = args.indexOf('--reps');
  const reps = r >= 0 ? Number(args[r + 1]) : undefined;
  if (reps !== undefined && !(Number.isInteger(reps) && reps >= 1)) throw new Error(`bench: --reps needs a positive integer, got ${args[r + 1]}`);
  const only = args.filter((a, i) => !a.startsWith('-') && !(r >= 0 && i === r + 1));
  runBenchmarks({ only: only.length > 0 ? only : undefined, reps })
    .then(() => process.exit(0))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
