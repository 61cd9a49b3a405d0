/**
 * Shared pieces of the benchmarks: device set-up, GPU timing, the row format and the JSON output.
 *
 * GPU timing: the queue is drained first (`sync`), then the clock starts, the work is recorded and
 * submitted, and the clock stops when `onSubmittedWorkDone` resolves. The first run of each case
 * compiles its pipelines: it is reported separately as `compileMs` and never part of the median.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { init, withFastPolling } from '../src/node.js';
import type { GpuRuntime } from '../src/gpu/runtime.js';

export interface Row {
  adapter: string;
  op: string;
  shape: string;
  /** Median milliseconds of the timed runs. */
  ms: number;
  /** First run (pipeline compilation included), milliseconds. */
  compileMs?: number;
  rate: number;
  /** images/s: a whole evaluation's throughput, with no ceiling to compare against. */
  unit: 'GFLOP/s' | 'GB/s' | 'images/s';
  /**
   * rate / the run's ceiling for this unit (bench/index.ts fills it once the run's end ceilings are
   * measured; one ceiling for every row of a run). Rows of other devices (PyTorch's CPU) get none.
   */
  ofCeiling?: number;
  /** CPU reference (float64 backend) time / our time: >1 means the GPU is faster. */
  vsCpu?: number;
  /** How the CPU time was obtained (measured, or scaled from a smaller size). */
  cpuNote?: string;
  /** TF.js WebGPU time / our time on the same device: >1 means robustlens is faster. */
  vsTfjs?: number;
  tfjsMs?: number;
  /** jax-js WebGPU time / our time (same adapter, its own device): >1 means robustlens is faster. */
  vsJax?: number;
  jaxMs?: number;
  /** PyTorch CPU time (same work, timed in the same run) and the threads it used: the column shows ours / PyTorch's. */
  torchMs?: number;
  torchThreads?: number;
  note?: string;
}

export interface BenchContext {
  rt: GpuRuntime;
  adapter: string;
  /** Timed repetitions per case (median reported). */
  reps: number;
  /** `--profile`: train-step and pgd also print a step profile (bench/profile.ts), kernels timed by `method`. */
  profile?: { method: ProfileMethod };
}

/** How a profile times kernels: 'auto' takes timestamp queries where the adapter has them. */
export type ProfileMethod = 'auto' | 'timestamps' | 'per-dispatch';

/**
 * Fast polling (src/gpu/fast-polling.ts) for the benchmarks: 'always' (the default, as the CLI runs:
 * for the whole process, so the peers on the same Dawn get it too), 'scoped' (only during the
 * engine's GPU waits, as the tests) or 'off'; set ROBUSTLENS_BENCH_POLLING to compare them.
 */
function benchPolling(): boolean | 'always' {
  const p = process.env.ROBUSTLENS_BENCH_POLLING || 'always'; // as the CLI runs, and fair to the peers on the same Dawn
  if (p === 'scoped' || p === 'always' || p === 'off') return p === 'scoped' ? true : p === 'always' ? 'always' : false;
  throw new Error(`bench: ROBUSTLENS_BENCH_POLLING must be scoped, always or off, got '${p}'`);
}

export async function setup(reps = 7): Promise<BenchContext> {
  const engine = await init({ fastPolling: benchPolling() });
  const rt = engine.runtime;
  if (!rt) throw new Error('bench: no WebGPU runtime (init fell back to the CPU backend)');
  const a = rt.adapter;
  const adapter = `${a.runtime} ${a.description || a.device || a.vendor}`.trim();
  return { rt, adapter, reps };
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

/**
 * Time `run` on the GPU: it records work and may return things to dispose after the queue drains.
 * Returns the first (compiling) run and the median of `reps` later runs, after one more warm-up.
 */
export async function timeGpu(
  rt: GpuRuntime,
  run: () => { dispose(): void }[] | void,
  reps: number,
): Promise<{ ms: number; compileMs: number; all: number[] }> {
  const t = await timeGpuCalls(rt, run, reps, { calls: 1 });
  return { ms: t.ms, compileMs: t.compileMs, all: t.all };
}

/**
 * FLOPs of cnn-small (src/nn/models.ts) per example on 28×28×1 input, 2 per multiply-add in the
 * convolutions and dense layers (pooling, ReLU, the loss and the update are left out). A backward
 * pass costs one forward for the weight gradients and one for the input gradients, less the first
 * convolution's input gradient when nothing asks for it (training): a training step is
 * 3·forward − firstConv, an attack step (input gradient, no weight gradients) 2·forward.
 */
export const CNN_SMALL_FLOPS = (() => {
  const firstConv = 2 * 32 * 28 * 28 * 9 * 1;
  const forward = firstConv + 2 * 64 * 14 * 14 * 9 * 32 + 2 * 3136 * 128 + 2 * 128 * 10;
  return { forward, firstConv, trainStep: 3 * forward - firstConv, attackStep: 2 * forward };
})();

/** Calls per timed run so that a run of work taking `warmMs` per call lasts about `targetMs`. */
export const callsFor = (warmMs: number, targetMs = 20, max = 64): number => Math.max(1, Math.min(max, Math.ceil(targetMs / Math.max(warmMs, 1e-3))));

/**
 * Like timeGpu, for short work: each timed run records `calls` calls back to back before one wait
 * for the queue (whose latency, up to a millisecond on Dawn, would otherwise dominate), and the
 * times are per call. `calls: 'auto'` picks enough calls for about 20 ms per run from the warm-up.
 */
export async function timeGpuCalls(
  rt: GpuRuntime,
  run: () => { dispose(): void }[] | void,
  reps: number,
  opts: { calls?: number | 'auto' } = {},
): Promise<{ ms: number; compileMs: number; all: number[]; calls: number }> {
  const once = async (k: number): Promise<number> => {
    await rt.sync();
    const t0 = performance.now();
    const garbage: { dispose(): void }[] = [];
    for (let i = 0; i < k; i++) garbage.push(...(run() ?? []));
    await rt.sync();
    const ms = (performance.now() - t0) / k;
    for (const g of garbage) g.dispose();
    return ms;
  };
  const compileMs = await once(1);
  const warm = await once(1);
  const calls = opts.calls === undefined ? 1 : opts.calls === 'auto' ? callsFor(warm) : opts.calls;
  const all: number[] = [];
  for (let i = 0; i < reps; i++) all.push(await once(calls));
  return { ms: median(all), compileMs, all, calls };
}

/** A case for timeInterleaved. */
export interface InterleavedCase {
  /** The work; with `timesItself`, it resolves to its own milliseconds (a peer in another process). */
  run: () => Promise<unknown>;
  reps: number;
  /** Run once more after the compiling run, untimed (default true). */
  warmup?: boolean;
  /** `run` resolves to the time it measured itself, which counts instead of the wall time around it. */
  timesItself?: boolean;
}

/**
 * Time asynchronous GPU workloads that end with their own readback or queue wait (a training step,
 * an attack): the queue is drained, then the clock runs until `run` resolves. The cases' timed runs
 * are interleaved round-robin (ours, the peer, ours, ...), so that a change of machine load hits
 * every case alike instead of the one that happened to run last. Per case: the first run
 * (compilation) apart, a warm-up unless `warmup` is false (for work of many seconds whose pipelines
 * are compiled already), then the median of `reps` runs.
 */
export async function timeInterleaved(rt: GpuRuntime, cases: InterleavedCase[]): Promise<{ ms: number; compileMs: number; all: number[] }[]> {
  const once = async (c: InterleavedCase): Promise<number> => {
    await rt.sync();
    const t0 = performance.now();
    // A peer's own waits on our Dawn (TF.js, jax-js) poll as the engine's do, so that both sides
    // are timed alike.
    const r = await withFastPolling(c.run);
    const wall = performance.now() - t0;
    if (!c.timesItself) return wall;
    if (typeof r !== 'number' || !Number.isFinite(r)) throw new Error(`timeInterleaved: a case that times itself returned ${String(r)}, not milliseconds`);
    return r;
  };
  const out = [];
  for (const c of cases) {
    const compileMs = await once(c);
    if (c.warmup ?? true) await once(c);
    out.push({ compileMs, all: [] as number[] });
  }
  const rounds = Math.max(...cases.map((c) => c.reps));
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cases.entries()) if (r < c.reps) out[i]!.all.push(await once(c));
  }
  return out.map((o) => ({ ms: median(o.all), compileMs: o.compileMs, all: o.all }));
}

/**
 * Per-round ratios a[i] / b[i] of two cases timed by timeInterleaved (run i of each taken back to
 * back, so both saw about the same machine load): their median, min and max. On a shared machine
 * this is steadier than the ratio of the two medians.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): { median: number; min: number; max: number } {
  const r = a.slice(0, Math.min(a.length, b.length)).map((x, i) => x / b[i]!);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
}

/** Median wall time of an async or sync CPU function. */
export async function timeCpu(fn: () => unknown, reps: number): Promise<number> {
  await fn();
  const all: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    all.push(performance.now() - t0);
  }
  return median(all);
}

const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x.toPrecision(digits + 1));

export function printRows(rows: readonly Row[]): void {
  const header = ['adapter', 'op', 'shape', 'ms', 'compile ms', 'rate', 'of ceiling', 'vs CPU f64', 'vs TF.js WebGPU', 'vs jax-js WebGPU', 'ours / PyTorch CPU', 'note'];
  const body = rows.map((r) => [
    r.adapter, r.op, r.shape, fmt(r.ms), fmt(r.compileMs), `${fmt(r.rate)} ${r.unit}`,
    r.ofCeiling === undefined ? '-' : `${(100 * r.ofCeiling).toFixed(0)}%`,
    r.vsCpu === undefined ? '-' : `${fmt(r.vsCpu)}x${r.cpuNote ? ` (${r.cpuNote})` : ''}`,
    r.vsTfjs === undefined ? '-' : `${fmt(r.vsTfjs)}x (${fmt(r.tfjsMs)} ms)`,
    r.vsJax === undefined ? '-' : `${fmt(r.vsJax)}x (${fmt(r.jaxMs)} ms)`,
    r.torchMs === undefined ? '-' : `${fmt(r.ms / r.torchMs)} (${fmt(r.torchMs)} ms, ${r.torchThreads ?? '?'} threads)`,
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const b of body) console.log(line(b));
}

/** Write out/<prefix>-<name>.json (from the current directory); returns its path. */
export function writeJson(name: string, data: unknown, prefix = 'bench'): string {
  const dir = join(process.cwd(), 'out');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}-${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

/**
 * Kernel variants timed side by side (timeInterleaved): `run` queues one variant's dispatches and
 * returns their output buffers, released after the queue drains. Prints each variant's median, its
 * runs, its paired ratio to the first, and the load average before and after.
 */
export async function timeBufferVariants<V>(rt: GpuRuntime, variants: readonly V[], name: (v: V) => string, run: (v: V) => GPUBuffer[], reps: number): Promise<void> {
  const load0 = loadavg();
  const t = await timeInterleaved(rt, variants.map((v) => ({ reps, run: async () => {
    const out = run(v);
    await rt.sync();
    for (const o of out) rt.releaseStorage(o);
  } })));
  variants.forEach((v, i) => console.log(`${name(v).padEnd(20)} median ${t[i]!.ms.toFixed(1)} ms  (${t[i]!.all.map((x) => x.toFixed(1)).join(' ')})${i ? `; paired ratio to ${name(variants[0]!)} ${pairedRatio(t[i]!.all, t[0]!.all).median.toFixed(2)}` : ''}`));
  console.log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} -> ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
