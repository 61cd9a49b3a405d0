/**
 * Memory-bound kernels: an elementwise chain (affine, relu, mul with a second tensor) and
 * reductions (row sums of a long-row matrix, a full sum). GB/s counts the bytes each kernel must
 * read and write (the chain runs as three kernels: 7 floats of traffic per element), against the
 * copy ceiling of bench/ceilings.ts. CPU reference: the float64 backend at 1/16 of the size, scaled.
 */
import * as rl from '../src/node.js';
import { cpu } from '../src/engine.js';
import { reduceOptions } from '../src/kernels/reduce.js';
import { tfjsWebGpu, timeTfjs } from './peers/tfjs.js';
import { timeCpu, timeGpuCalls, type BenchContext, type Row } from './harness.js';

interface Case {
  op: string;
  shape: number[];
  /** Floats read + written per input element. */
  traffic: number;
  ours: (x: rl.Tensor, z: rl.Tensor) => rl.Tensor;
  /** Run with the vec4 row-reduction kernel turned off (to compare it with the strided one). */
  strided?: boolean;
  tf: (tf: typeof import('@tensorflow/tfjs'), x: import('@tensorflow/tfjs').Tensor, z: import('@tensorflow/tfjs').Tensor) => import('@tensorflow/tfjs').Tensor;
}

const N = 1 << 22; // 4 Mi floats, 16 MiB

const cases: Case[] = [
  {
    op: 'chain relu(1.5x - 0.25)·z (3 kernels)', shape: [N], traffic: 7,
    ours: (x, z) => rl.tidy(() => rl.mul(rl.relu(rl.affine(x, 1.5, -0.25)), z)),
    tf: (tf, x, z) => tf.tidy(() => tf.mul(tf.relu(tf.add(tf.mul(x, 1.5), -0.25)), z)),
  },
  {
    op: 'relu (1 kernel)', shape: [N], traffic: 2,
    ours: (x) => rl.relu(x),
    tf: (tf, x) => tf.relu(x),
  },
  {
    op: 'add, same shapes', shape: [N], traffic: 3,
    ours: (x, z) => rl.add(x, z),
    tf: (tf, x, z) => tf.add(x, z),
  },
  {
    op: 'sum over rows', shape: [256, N / 256], traffic: 1,
    ours: (x) => rl.sum(x, -1),
    tf: (tf, x) => tf.sum(x, -1),
  },
  {
    op: 'sum over rows, strided kernel', shape: [256, N / 256], traffic: 1, strided: true,
    ours: (x) => rl.sum(x, -1),
    tf: (tf, x) => tf.sum(x, -1),
  },
  {
    op: 'sum over rows', shape: [4096, N / 4096], traffic: 1,
    ours: (x) => rl.sum(x, -1),
    tf: (tf, x) => tf.sum(x, -1),
  },
  {
    op: 'sum over rows, strided kernel', shape: [4096, N / 4096], traffic: 1, strided: true,
    ours: (x) => rl.sum(x, -1),
    tf: (tf, x) => tf.sum(x, -1),
  },
  {
    op: 'sum of everything', shape: [N], traffic: 1,
    ours: (x) => rl.sum(x),
    tf: (tf, x) => tf.sum(x),
  },
  {
    op: 'sum of everything, strided kernel', shape: [N], traffic: 1, strided: true,
    ours: (x) => rl.sum(x),
    tf: (tf, x) => tf.sum(x),
  },
];

export async function benchElementwise(ctx: BenchContext): Promise<Row[]> {
  const { rt } = ctx;
  const rows: Row[] = [];
  const tf = await tfjsWebGpu(rt);
  for (const c of cases) {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const x = rl.randn(c.shape, 5);
    const z = rl.randn(c.shape, 6);
    const bytes = c.traffic * n * 4;
    reduceOptions.vec4Rows = !c.strided;
    // Several calls per queue wait (about 20 ms of work): these kernels take milliseconds, and a wait's
    // latency would otherwise dominate. TF.js gets the same number of calls per wait below.
    const t = await timeGpuCalls(rt, () => [c.ours(x, z)], ctx.reps, { calls: 'auto' }).finally(() => {
      reduceOptions.vec4Rows = true;
    });
    x.dispose();
    z.dispose();
    // CPU reference at 1/16 of the elements (same row length for the row sums).
    const small = c.shape.length === 2 ? [c.shape[0]! / 16, c.shape[1]!] : [n / 16];
    const cx = rl.randn(small, 5, { backend: cpu });
    const cz = rl.randn(small, 6, { backend: cpu });
    const cpuMs = (await timeCpu(() => c.ours(cx, cz).dispose(), 3)) * 16;
    cx.dispose();
    cz.dispose();
    let tfMs: number | undefined;
    if (tf) {
      const tx = tf.tf.randomNormal(c.shape);
      const tz = tf.tf.randomNormal(c.shape);
      tfMs = (await timeTfjs(tf, () => c.tf(tf.tf, tx, tz), ctx.reps, t.calls)).ms;
      tx.dispose();
      tz.dispose();
    }
    const rate = bytes / t.ms / 1e6;
    rows.push({
      adapter: ctx.adapter, op: c.op, shape: JSON.stringify(c.shape), ms: t.ms, compileMs: t.compileMs, rate, unit: 'GB/s',
      vsCpu: cpuMs / t.ms, cpuNote: 'scaled from 1/16',
      vsTfjs: tfMs === undefined ? undefined : tfMs / t.ms, tfjsMs: tfMs,
      note: `${t.calls} calls per queue wait (TF.js too)`,
    });
  }
  return rows;
}
