/**
 * The benchmarks (`robustlens bench`, `npm run bench`, `npx vite-node bench/index.ts [NAME...]
 * [--reps N] [--profile] [--profile-method auto|timestamps|per-dispatch]`).
 *
 * One ceiling per run: the adapter's ceilings (bench/ceilings.ts) are measured at the start and at
 * the end of the run, and every row is reported as a fraction of the larger of the two (per unit),
 * so that all rows of a run are measured against the same number; the load average is printed at
 * the start and at the end. The tables are printed, and out/bench-<name>.json written, at the end
 * (also when a benchmark fails: the rows measured until then are kept).
 * conv, train-step and pgd also run TF.js WebGPU on our GPUDevice (bench/peers/tfjs.ts) side by side,
 * train-step and pgd also PyTorch on the CPU (bench/peers/torch.ts); jax runs jax-js WebGPU on its
 * own device on our adapter (bench/peers/jax.ts) against ours. `--profile` adds a step profile to
 * train-step and pgd (bench/profile.ts, out/profile-<name>.json). `autoattack` (bench/autoattack.ts,
 * many minutes) runs only when named.
 */
import { loadavg } from 'node:os';
import { shutdown } from '../src/node.js';
import { measureCeilings, type Ceilings } from './ceilings.js';
import { benchAutoattack } from './autoattack.js';
import { benchConv } from './conv.js';
import { benchElementwise } from './elementwise.js';
import { benchJax } from './jax.js';
import { benchMatmul } from './matmul.js';
import { benchPgd } from './pgd.js';
import { benchTrainStep } from './train-step.js';
import { printRows, setup, writeJson, type BenchContext, type ProfileMethod, type Row } from './harness.js';

export const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<Row[]>> = {
  matmul: benchMatmul,
  elementwise: benchElementwise,
  conv: (ctx) => benchConv(ctx),
  'train-step': (ctx) => benchTrainStep(ctx),
  pgd: (ctx) => benchPgd(ctx),
  jax: benchJax,
  autoattack: benchAutoattack,
};

/** Benchmarks that run only when named (many minutes each); the others are the default list. */
export const ONLY_WHEN_NAMED: readonly string[] = ['autoattack'];

export const PROFILE_METHODS: readonly ProfileMethod[] = ['auto', 'timestamps', 'per-dispatch'];

export interface BenchOptions {
  /** Names from BENCHMARKS (default: all). */
  only?: string[];
  /** Timed repetitions per case (median reported); default 7. */
  reps?: number;
  /** Profile one step of train-step and pgd (true: 'auto', timestamp queries where the adapter has them). */
  profile?: boolean | ProfileMethod;
}

const load = (): number[] => loadavg().map((l) => Math.round(100 * l) / 100);

export async function runBenchmarks(opts: BenchOptions = {}): Promise<Row[]> {
  const names = opts.only ?? Object.keys(BENCHMARKS).filter((n) => !ONLY_WHEN_NAMED.includes(n));
  for (const n of names) {
    if (!(n in BENCHMARKS) && n !== 'ceilings') throw new Error(`bench: unknown benchmark '${n}'; choose from ${['ceilings', ...Object.keys(BENCHMARKS)].join(', ')}`);
  }
  const method = opts.profile === true ? 'auto' : opts.profile || undefined;
  if (method !== undefined && !PROFILE_METHODS.includes(method)) throw new Error(`bench: unknown profile method '${method}'; choose from ${PROFILE_METHODS.join(', ')}`);
  const ctx = await setup(opts.reps ?? 7);
  if (method) ctx.profile = { method };
  const loadStart = load();
  const date = new Date().toISOString();
  console.log(`robustlens bench on ${ctx.adapter} (medians of ${ctx.reps}; load average at the start ${loadStart.join(' ')}; machine load changes results: compare rows of one run)`);
  let start: Ceilings | null = null;
  let end: Ceilings | null = null;
  const done: { name: string; rows: Row[] }[] = [];
  let failure: unknown = null;
  try {
    start = await measureCeilings(ctx, 'start');
    console.log(`ceilings at the start: ${start.gflops.toFixed(1)} GFLOP/s, ${start.gbps.toFixed(1)} GB/s`);
    for (const name of names) {
      if (name === 'ceilings') continue;
      const t0 = performance.now();
      const rows = await BENCHMARKS[name]!(ctx);
      done.push({ name, rows });
      console.log(`${name}: ${rows.length} rows in ${((performance.now() - t0) / 1000).toFixed(0)} s (load average ${load().join(' ')})`);
    }
    end = await measureCeilings(ctx, 'end');
  } catch (e) {
    failure = e;
  }
  try {
    if (start) return report(ctx, date, { start: loadStart, end: load() }, start, end, done, failure !== null);
    return [];
  } finally {
    shutdown();
    if (failure !== null) throw failure;
  }
}

/**
 * Fill every row's "of ceiling" from the run's one ceiling per unit, print the tables and write
 * the JSON files. Rows of other devices (PyTorch on the CPU) get no fraction.
 */
function report(ctx: BenchContext, date: string, loadAvg: { start: number[]; end: number[] }, start: Ceilings, end: Ceilings | null, done: { name: string; rows: Row[] }[], failed: boolean): Row[] {
  const used = { gflops: Math.max(start.gflops, end?.gflops ?? 0), gbps: Math.max(start.gbps, end?.gbps ?? 0) };
  const ceilingRows = [...start.rows, ...(end?.rows ?? [])];
  for (const r of [...ceilingRows, ...done.flatMap((d) => d.rows)]) {
    if (r.adapter !== ctx.adapter || !Number.isFinite(r.rate) || (r.unit !== 'GFLOP/s' && r.unit !== 'GB/s')) continue;
    r.ofCeiling = r.rate / (r.unit === 'GFLOP/s' ? used.gflops : used.gbps);
  }
  const f = (x: number | undefined): string => (x === undefined ? 'not measured' : x.toFixed(1));
  const rule = end ? 'the larger of the start and end ceilings' : 'the start ceiling (the run failed before the end ceiling)';
  console.log('');
  console.log(`Ceilings of this run on ${ctx.adapter}: FMA ${f(start.gflops)} GFLOP/s at the start, ${f(end?.gflops)} at the end; ` +
    `copy ${f(start.gbps)} GB/s at the start, ${f(end?.gbps)} at the end.`);
  console.log(`Every "of ceiling" below is against ${rule}: ${used.gflops.toFixed(1)} GFLOP/s, ${used.gbps.toFixed(1)} GB/s.`);
  console.log(`Load average (1, 5, 15 min): ${loadAvg.start.join(' ')} at the start, ${loadAvg.end.join(' ')} at the end.`);
  const ceilings = { start: { gflops: start.gflops, gbps: start.gbps }, end: end && { gflops: end.gflops, gbps: end.gbps }, used, rule };
  const meta = { adapter: ctx.adapter, date, reps: ctx.reps, loadavg: loadAvg, ceilings };
  console.log('');
  printRows(ceilingRows);
  writeJson('ceilings', { ...meta, rows: ceilingRows });
  for (const { name, rows } of done) {
    console.log('');
    printRows(rows);
    console.log(`-> ${writeJson(name, { ...meta, rows })}`);
  }
  if (failed) console.log('\nThe run failed (error below); the rows above are those measured before it.');
  return [...ceilingRows, ...done.flatMap((d) => d.rows)];
}

// `npx vite-node bench/index.ts [NAME...] [--reps N] [--profile] [--profile-method M]` (vite-node
// drops the script from argv).
const entry = process.argv[1] ?? '';
const isMain = /bench[\\/]index\.ts$/.test(entry) || /vite-node$/.test(entry);
if (isMain) {
  const args = process.argv.slice(2);
  const valueOf = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('-')) throw new Error(`bench: ${flag} needs a value`);
    return v;
  };
  const known = ['--reps', '--profile', '--profile-method'];
  const unknown = args.filter((a) => a.startsWith('-') && !known.includes(a));
  if (unknown.length > 0) throw new Error(`bench: unknown option ${unknown.join(', ')}; the options are ${known.join(', ')}`);
  const repsArg = valueOf('--reps');
  const reps = repsArg === undefined ? undefined : Number(repsArg);
  if (reps !== undefined && !(Number.isInteger(reps) && reps >= 1)) throw new Error(`bench: --reps needs a positive integer, got ${repsArg}`);
  const profileMethod = valueOf('--profile-method') as ProfileMethod | undefined;
  const profile = profileMethod ?? args.includes('--profile');
  const values = new Set(['--reps', '--profile-method'].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
  const only = args.filter((a, i) => !a.startsWith('-') && !values.has(i));
  runBenchmarks({ only: only.length > 0 ? only : undefined, reps, profile })
    .then(() => process.exit(0))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
