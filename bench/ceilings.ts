/**
 * The adapter's own ceilings: an FMA-bound kernel (GFLOP/s) and a contiguous copy with 1 and 4 vec4
 * per invocation (GB/s counted as bytes read + written). Kernels: shaders/bench-ceilings.wgsl.
 * bench/index.ts measures them at the start and at the end of a run and reports every row of the
 * run as a fraction of one ceiling per unit (the larger of the two), so that rows of one run compare.
 */
import { grid1d } from '../src/gpu/limits.js';
import { FMA_SHAPE, dispatchFma, fmaFlops } from '../src/kernels/ceiling.js';
import { timeGpu, timeGpuCalls, type BenchContext, type Row } from './harness.js';

const WG = 64;

export interface Ceilings {
  gflops: number;
  gbps: number;
  rows: Row[];
}

/** Measure both ceilings now; `when` labels the rows ('start' or 'end' of the run). */
export async function measureCeilings(ctx: BenchContext, when: string): Promise<Ceilings> {
  const { rt } = ctx;
  const rows: Row[] = [];
  const held: GPUBuffer[] = [];
  try {
    // FMA: 64 Ki invocations × 1024 iterations × 8 chains × vec4 × 2 flops = 4.3 GFLOP.
    const { n, iters } = FMA_SHAPE;
    const sink = rt.createStorage(n * 16, 'bench.sink');
    held.push(sink);
    const fma = await timeGpu(rt, () => dispatchFma(rt, sink), ctx.reps);
    const gflops = fmaFlops(n, iters) / fma.ms / 1e6;
    rows.push({ adapter: ctx.adapter, op: `ceiling (${when} of run): FMA-bound kernel`, shape: `${n}x${iters} vec4 FMA x8`, ms: fma.ms, compileMs: fma.compileMs, rate: gflops, unit: 'GFLOP/s' });

    // Copy: 32 MiB in, 32 MiB out, COPY_CALLS copies per queue wait: a copy takes a few
    // milliseconds, so a single one would count the wait's latency (up to a millisecond on Dawn)
    // as copy time. Short rows elsewhere amortise the same way.
    const COPY_CALLS = 4;
    const bytes = 32 * 1024 * 1024;
    const nv4 = bytes / 16;
    const src = rt.createStorage(bytes, 'bench.src');
    held.push(src);
    const dst = rt.createStorage(bytes, 'bench.dst');
    held.push(dst);
    const cu = { n_vec4: nv4 };
    let gbps = 0;
    for (const [entry, per] of [['copy_vec4', 1], ['copy_vec4x4', 4]] as const) {
      const t = await timeGpuCalls(rt, () => {
        rt.dispatch({ shader: 'bench-ceilings', entry, overrides: { WG }, uniforms: cu, buffers: { src, dst }, workgroups: grid1d(Math.ceil(nv4 / per), WG) });
      }, ctx.reps, { calls: COPY_CALLS });
      const rate = (2 * bytes) / t.ms / 1e6;
      gbps = Math.max(gbps, rate);
      rows.push({ adapter: ctx.adapter, op: `ceiling (${when} of run): copy, ${per} vec4/invocation`, shape: '32 MiB', ms: t.ms, compileMs: t.compileMs, rate, unit: 'GB/s' });
    }
    return { gflops, gbps, rows };
  } finally {
    for (const b of held) rt.releaseStorage(b);
  }
}
