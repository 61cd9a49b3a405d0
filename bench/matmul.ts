/**
 * Square f32 matmul (256, 512, 1024, 2048): robustlens's chosen kernel, its no-subgroup fallback
 * and the scalar-load 4×4 tile (up to 1024), the float64 CPU reference (timed at 256 and scaled by n³ above that) and TF.js WebGPU
 * on the same device.
 */
import * as rl from '../src/node.js';
import { cpu } from '../src/engine.js';
import { matmulOverride, pickMatmul, type MatmulVariant } from '../src/kernels/matmul.js';
import { tfjsWebGpu } from './peers/tfjs.js';
import { median, timeCpu, timeGpu, type BenchContext, type Row } from './harness.js';

const describeVariant = (v: MatmulVariant): string => ('ra' in v ? `${v.kind} ra${v.ra} nv${v.nv}` : v.kind);

export async function benchMatmul(ctx: BenchContext, sizes = [256, 512, 1024, 2048]): Promise<Row[]> {
  const { rt } = ctx;
  const rows: Row[] = [];
  // CPU reference once, at 256 (the float64 oracle is plain JS: seconds at 1024).
  const cpuN = 256;
  const ca = rl.randn([cpuN, cpuN], 1, { backend: cpu });
  const cb = rl.randn([cpuN, cpuN], 2, { backend: cpu });
  const cpuMs = await timeCpu(() => rl.matmul(ca, cb).dispose(), 3);
  ca.dispose();
  cb.dispose();

  const tf = await tfjsWebGpu(rt);
  for (const n of sizes) {
    const flops = 2 * n * n * n;
    const reps = n >= 2048 ? Math.min(ctx.reps, 3) : ctx.reps;
    const a = rl.randn([n, n], 3);
    const b = rl.randn([n, n], 4);
    const rowMajor = { offset: 0, sb: n * n, si: n, sj: 1 };
    const chosen = pickMatmul(rt, n, n, n, rowMajor, rowMajor);
    const cases: [string, MatmulVariant | null][] = [['matmul', null]];
    // What devices without subgroups (Deno, some browsers) get, and the original scalar-load tile.
    if (n <= 1024) cases.push(['matmul (no-subgroup fallback)', { kind: 'tile4_vec4' }], ['matmul (tile4, scalar loads)', { kind: 'tile4' }]);
    let tfMs: number | undefined;
    if (tf) {
      const ta = tf.tf.randomNormal([n, n]);
      const tb = tf.tf.randomNormal([n, n]);
      const once = async (): Promise<number> => {
        await tf.sync();
        const t0 = performance.now();
        const c = tf.tf.matMul(ta, tb);
        await tf.sync();
        const ms = performance.now() - t0;
        c.dispose();
        return ms;
      };
      await once();
      await once();
      const all: number[] = [];
      for (let i = 0; i < reps; i++) all.push(await once());
      tfMs = median(all);
      ta.dispose();
      tb.dispose();
    }
    for (const [op, variant] of cases) {
      matmulOverride.variant = variant;
      try {
        const t = await timeGpu(rt, () => [rl.matmul(a, b)], reps);
        const rate = flops / t.ms / 1e6;
        const cpuScaled = cpuMs * (n / cpuN) ** 3;
        rows.push({
          adapter: ctx.adapter, op, shape: `${n}x${n}·${n}x${n}`, ms: t.ms, compileMs: t.compileMs, rate, unit: 'GFLOP/s',
          vsCpu: cpuScaled / t.ms, cpuNote: n === cpuN ? 'measured' : `scaled from ${cpuN}`,
          vsTfjs: tfMs === undefined ? undefined : tfMs / t.ms, tfjsMs: tfMs,
          note: describeVariant(variant ?? chosen),
        });
      } finally {
        matmulOverride.variant = null;
      }
    }
    a.dispose();
    b.dispose();
  }
  return rows;
}
