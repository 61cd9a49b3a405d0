/**
 * The adapter's own ceilings, measured in this process: an FMA-bound kernel (GFLOP/s) and a
 * contiguous copy with 1 and 4 vec4 per invocation (GB/s counted as bytes read + written).
 * Kernels: shaders/bench-ceilings.wgsl. The other benchmarks report their rates as fractions of these.
 */
import { grid1d } from '../src/gpu/limits.js';
import { timeGpu, timeGpuCalls, type BenchContext, type Row } from './harness.js';

const WG = 64;

/** Buffers the probes keep; released by releaseCeilings at the end of a run. */
const held: GPUBuffer[] = [];

export function releaseCeilings(ctx: BenchContext): void {
  for (const b of held.splice(0)) ctx.rt.releaseStorage(b);
  ctx.probes = undefined;
}

export async function benchCeilings(ctx: BenchContext): Promise<Row[]> {
  const { rt } = ctx;
  const rows: Row[] = [];

  const COPY_CALLS = 4;
  // FMA: 64 Ki invocations × 1024 iterations × 8 chains × vec4 × 2 flops = 4.3 GFLOP.
  const n = 64 * 1024;
  const iters = 1024;
  const sink = rt.createStorage(n * 16, 'bench.sink');
  held.push(sink);
  const fma = await timeGpu(rt, () => {
    rt.dispatch({ shader: 'bench-ceilings', entry: 'fma_bound', overrides: { WG }, uniforms: { iters, n, seed: 1 }, buffers: { sink }, workgroups: grid1d(n, WG) });
  }, ctx.reps);
  const gflops = (n * iters * 8 * 4 * 2) / fma.ms / 1e6;
  rows.push({ adapter: ctx.adapter, op: 'ceiling: FMA-bound kernel', shape: `${n}x${iters} vec4 FMA x8`, ms: fma.ms, compileMs: fma.compileMs, rate: gflops, unit: 'GFLOP/s', ofCeiling: 1 });

  // Copy: 32 MiB in, 32 MiB out.
  const bytes = 32 * 1024 * 1024;
  const nv4 = bytes / 16;
  const src = rt.createStorage(bytes, 'bench.src');
  const dst = rt.createStorage(bytes, 'bench.dst');
  held.push(src, dst);
  const cu = { n_vec4: nv4 };
  let best = 0;
  // COPY_CALLS copies per queue wait: a copy takes a few milliseconds, so a single one would count the
  // wait's latency (up to a millisecond on Dawn) as copy time. Short rows elsewhere amortise the same way.
  for (const [entry, per] of [['copy_vec4', 1], ['copy_vec4x4', 4]] as const) {
    const t = await timeGpuCalls(rt, () => {
      rt.dispatch({ shader: 'bench-ceilings', entry, overrides: { WG }, uniforms: cu, buffers: { src, dst }, workgroups: grid1d(Math.ceil(nv4 / per), WG) });
    }, ctx.reps, { calls: COPY_CALLS });
    const gbps = (2 * bytes) / t.ms / 1e6;
    best = Math.max(best, gbps);
    rows.push({ adapter: ctx.adapter, op: `ceiling: copy, ${per} vec4/invocation`, shape: '32 MiB', ms: t.ms, compileMs: t.compileMs, rate: gbps, unit: 'GB/s' });
  }
  for (const r of rows) if (r.unit === 'GB/s') r.ofCeiling = r.rate / best;
  ctx.ceilings = { gflops, gbps: best };

  // Short probes (a quarter of the FMA work, the 4-vec4 copy) for interleaving with other rows.
  const probeIters = iters / 4;
  const pu = { iters: probeIters, n, seed: 1 };
  const timeOnce = async (record: () => void, calls = 1): Promise<number> => {
    await rt.sync();
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) record();
    await rt.sync();
    return (performance.now() - t0) / calls;
  };
  ctx.probes = {
    gflops: async () => (n * probeIters * 64) / (await timeOnce(() => rt.dispatch({ shader: 'bench-ceilings', entry: 'fma_bound', overrides: { WG }, uniforms: pu, buffers: { sink }, workgroups: grid1d(n, WG) }))) / 1e6,
    gbps: async () => (2 * bytes) / (await timeOnce(() => rt.dispatch({ shader: 'bench-ceilings', entry: 'copy_vec4x4', overrides: { WG }, uniforms: cu, buffers: { src, dst }, workgroups: grid1d(Math.ceil(nv4 / 4), WG) }), COPY_CALLS)) / 1e6,
  };
  return rows;
}
