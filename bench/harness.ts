/**
 * Shared pieces of the benchmarks: device set-up, GPU timing, the row format and the JSON output.
 *
 * GPU timing: the queue is drained first (`sync`), then the clock starts, the work is recorded and
 * submitted, and the clock stops when `onSubmittedWorkDone` resolves. The first run of each case
 * compiles its pipelines: it is reported separately as `compileMs` and never part of the median.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  unit: 'GFLOP/s' | 'GB/s';
  /** rate / the measured ceiling for this unit: the median over runs interleaved with a ceiling probe. */
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
  note?: string;
}

export interface BenchContext {
  rt: GpuRuntime;
  adapter: string;
  /** Ceilings measured in this process (bench/ceilings.ts), filled before the other benchmarks. */
  ceilings: { gflops?: number; gbps?: number };
  rows: Row[];
  /** Timed repetitions per case (median reported). */
  reps: number;
  /**
   * One short run of each ceiling kernel, for interleaving with a case (set by benchCeilings): on a
   * shared machine the load drifts, so each row's fraction is the median of rate / probe over pairs
   * of runs taken back to back, not a ratio to a ceiling measured minutes earlier.
   */
  probes?: { gflops(): Promise<number>; gbps(): Promise<number> };
}

/**
 * Fast polling (src/gpu/fast-polling.ts) for the benchmarks: 'scoped' (the default, as the CLI and
 * the tests: only during the engine's GPU waits), 'always' (for the whole process) or 'off'; set
 * ROBUSTLENS_BENCH_POLLING to compare them.
 */
function benchPolling(): boolean | 'always' {
  const p = process.env.ROBUSTLENS_BENCH_POLLING || 'scoped';
  if (p === 'scoped' || p === 'always' || p === 'off') return p === 'scoped' ? true : p === 'always' ? 'always' : false;
  throw new Error(`bench: ROBUSTLENS_BENCH_POLLING must be scoped, always or off, got '${p}'`);
}

export async function setup(reps = 7): Promise<BenchContext> {
  const engine = await init({ fastPolling: benchPolling() });
  const rt = engine.runtime;
  if (!rt) throw new Error('bench: no WebGPU runtime (init fell back to the CPU backend)');
  const a = rt.adapter;
  const adapter = `${a.runtime} ${a.description || a.device || a.vendor}`.trim();
  return { rt, adapter, ceilings: {}, rows: [], reps };
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
  probe?: { rate: () => Promise<number>; work: number },
): Promise<{ ms: number; compileMs: number; all: number[]; ofProbe?: number }> {
  const once = async (): Promise<number> => {
    await rt.sync();
    const t0 = performance.now();
    const garbage = run() ?? [];
    await rt.sync();
    const ms = performance.now() - t0;
    for (const g of garbage) g.dispose();
    return ms;
  };
  const compileMs = await once();
  await once();
  const all: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < reps; i++) {
    const ceiling = probe ? await probe.rate() : 0;
    const ms = await once();
    all.push(ms);
    if (probe) ratios.push(probe.work / ms / 1e6 / ceiling);
  }
  return { ms: median(all), compileMs, all, ofProbe: probe ? median(ratios) : undefined };
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
 * With a probe, `work` is per call.
 */
export async function timeGpuCalls(
  rt: GpuRuntime,
  run: () => { dispose(): void }[] | void,
  reps: number,
  opts: { calls?: number | 'auto'; probe?: { rate: () => Promise<number>; work: number } } = {},
): Promise<{ ms: number; compileMs: number; all: number[]; ofProbe?: number; calls: number }> {
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
  const ratios: number[] = [];
  for (let i = 0; i < reps; i++) {
    const ceiling = opts.probe ? await opts.probe.rate() : 0;
    const ms = await once(calls);
    all.push(ms);
    if (opts.probe) ratios.push(opts.probe.work / ms / 1e6 / ceiling);
  }
  return { ms: median(all), compileMs, all, ofProbe: opts.probe ? median(ratios) : undefined, calls };
}

/**
 * Time asynchronous GPU workloads that end with their own readback or queue wait (a training step,
 * an attack): the queue is drained, then the clock runs until `run` resolves. The cases' timed runs
 * are interleaved round-robin (ours, the peer, ours, ...), so that a change of machine load hits
 * every case alike instead of the one that happened to run last. Per case: the first run
 * (compilation) apart, a warm-up unless `warmup` is false (for work of many seconds whose pipelines
 * are compiled already), then the median of `reps` runs, each after a probe run when `probe` is given.
 */
export async function timeInterleaved(
  rt: GpuRuntime,
  cases: { run: () => Promise<unknown>; reps: number; warmup?: boolean; probe?: { rate: () => Promise<number>; work: number } }[],
): Promise<{ ms: number; compileMs: number; all: number[]; ofProbe?: number }[]> {
  // A peer's own waits on our Dawn (TF.js, jax-js) poll as the engine's do, so that both sides
  // are timed alike.
  const once = async (run: () => Promise<unknown>): Promise<number> => {
    await rt.sync();
    const t0 = performance.now();
    await withFastPolling(run);
    return performance.now() - t0;
  };
  const out = [];
  for (const c of cases) {
    const compileMs = await once(c.run);
    if (c.warmup ?? true) await once(c.run);
    out.push({ compileMs, all: [] as number[], ratios: [] as number[] });
  }
  const rounds = Math.max(...cases.map((c) => c.reps));
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cases.entries()) {
      if (r >= c.reps) continue;
      const ceiling = c.probe ? await c.probe.rate() : 0;
      const ms = await once(c.run);
      out[i]!.all.push(ms);
      if (c.probe) out[i]!.ratios.push(c.probe.work / ms / 1e6 / ceiling);
    }
  }
  return out.map((o, i) => ({ ms: median(o.all), compileMs: o.compileMs, all: o.all, ofProbe: cases[i]!.probe ? median(o.ratios) : undefined }));
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
  const header = ['adapter', 'op', 'shape', 'ms', 'compile ms', 'rate', 'of ceiling', 'vs CPU f64', 'vs TF.js WebGPU', 'vs jax-js WebGPU', 'note'];
  const body = rows.map((r) => [
    r.adapter, r.op, r.shape, fmt(r.ms), fmt(r.compileMs), `${fmt(r.rate)} ${r.unit}`,
    r.ofCeiling === undefined ? '-' : `${(100 * r.ofCeiling).toFixed(0)}%`,
    r.vsCpu === undefined ? '-' : `${fmt(r.vsCpu)}x${r.cpuNote ? ` (${r.cpuNote})` : ''}`,
    r.vsTfjs === undefined ? '-' : `${fmt(r.vsTfjs)}x (${fmt(r.tfjsMs)} ms)`,
    r.vsJax === undefined ? '-' : `${fmt(r.vsJax)}x (${fmt(r.jaxMs)} ms)`,
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const b of body) console.log(line(b));
}

export function writeJson(name: string, data: unknown): string {
  const dir = join(process.cwd(), 'out');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}
