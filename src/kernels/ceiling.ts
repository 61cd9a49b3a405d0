/**
 * The adapter's arithmetic ceiling: shaders/bench-ceilings.wgsl's FMA-bound kernel (8 independent
 * vec4 FMA chains per invocation, no memory traffic in the loop). bench/ceilings.ts times it within a
 * benchmark run; `measureFmaCeiling` is the short stand-alone measurement `robustlens info` prints,
 * so that a time quoted for one machine can be scaled to another.
 */
import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';

const WG = 64;

/** The kernel's shape: invocations and loop iterations (64 Ki × 1024: 4.3 GFLOP a launch). */
export const FMA_SHAPE = { n: 64 * 1024, iters: 1024 } as const;

/** FLOPs of one launch: n invocations × iters × 8 chains × vec4 × 2 (a multiply and an add). */
export const fmaFlops = (n: number, iters: number): number => n * iters * 8 * 4 * 2;

/** Queue one launch of the FMA-bound kernel writing `sink` (n vec4, 16·n bytes). */
export function dispatchFma(rt: GpuRuntime, sink: GPUBuffer, n: number = FMA_SHAPE.n, iters: number = FMA_SHAPE.iters): void {
  rt.dispatch({ shader: 'bench-ceilings', entry: 'fma_bound', overrides: { WG }, uniforms: { iters, n, seed: 1 }, buffers: { sink }, workgroups: grid1d(n, WG) });
}

export interface FmaCeiling {
  /** The fastest timed run, GFLOP/s: other work on the machine only ever slows a run down. */
  gflops: number;
  /** The median run, GFLOP/s (below `gflops` by how much else the machine was doing). */
  medianGflops: number;
  /** Timed runs; launches per run and loop iterations per launch (sized so that a run lasts about 50 ms). */
  runs: number;
  launchesPerRun: number;
  iters: number;
  /** Wall time of the whole measurement, compilation included, seconds. */
  seconds: number;
}

/**
 * Measure the FMA ceiling for about `seconds` (default 1): one compiling launch, one sizing launch,
 * then timed runs of back-to-back launches, each ended by a wait for the queue, until the time is
 * spent (at least 3 runs). A run is sized to about 50 ms: several launches on a fast GPU (so the
 * wait's own latency does not count as arithmetic), fewer loop iterations on a slow or busy CPU
 * adapter (so that the measurement keeps to its time).
 */
export async function measureFmaCeiling(rt: GpuRuntime, opts: { seconds?: number } = {}): Promise<FmaCeiling> {
  const budgetMs = (opts.seconds ?? 1) * 1000;
  const t0 = performance.now();
  const { n } = FMA_SHAPE;
  const sink = rt.createStorage(n * 16, 'ceiling.sink');
  try {
    const run = async (launches: number, iters: number): Promise<number> => {
      await rt.sync();
      const start = performance.now();
      for (let i = 0; i < launches; i++) dispatchFma(rt, sink, n, iters);
      await rt.sync();
      return performance.now() - start;
    };
    await run(1, 16); // compiles the pipeline (the loop count is a uniform: one pipeline for all)
    const probeIters = 128;
    const probe = Math.max(await run(1, probeIters), 1e-3);
    const perIterMs = probe / probeIters;
    const iters = Math.max(16, Math.min(FMA_SHAPE.iters, Math.round(50 / perIterMs)));
    const launchesPerRun = Math.max(1, Math.min(256, Math.ceil(50 / (perIterMs * iters))));
    const rates: number[] = [];
    while (rates.length < 3 || performance.now() - t0 < budgetMs) {
      const ms = await run(launchesPerRun, iters);
      rates.push((launchesPerRun * fmaFlops(n, iters)) / ms / 1e6);
    }
    rates.sort((a, b) => a - b);
    const mid = rates.length >> 1;
    const medianGflops = rates.length % 2 ? rates[mid]! : (rates[mid - 1]! + rates[mid]!) / 2;
    return { gflops: rates.at(-1)!, medianGflops, runs: rates.length, launchesPerRun, iters, seconds: (performance.now() - t0) / 1000 };
  } finally {
    rt.releaseStorage(sink);
  }
}
