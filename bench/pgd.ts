/**
 * PGD-10, L-inf, eps 0.1, alpha 0.025, uniform random start, on a batch of 256 against cnn-small
 * (untrained weights: the cost does not depend on them), issue 4's target: >= 3x faster than the
 * same attack written with TF.js WebGPU on the same adapter in the same process.
 * - ours: robust.pgdTensors (what attacks.pgd runs after its argument checks), with per-step success
 *   tracking off (the attack alone, as adversarial training runs it) and on (the default), ending
 *   with the readback of the success flags;
 * - TF.js: random start, then per step tf.grad of the summed cross-entropy w.r.t. the input, sign,
 *   step, projection onto the ball, clip to [0, 1]; then one forward for the success flags, read back.
 *   Ours does one forward more (the clean one, for clean accuracy).
 * Before timing, one step from the clean input (no random start) must give the same adversarial
 * pixels in both engines (up to sign flips of gradients within float error of zero).
 * GFLOP/s counts the common work: 10 attack steps and one forward (CNN_SMALL_FLOPS).
 */
import * as rl from '../src/node.js';
import { cnnSmall } from '../src/nn/models.js';
import { pgdTensors, resolvePgd, type PgdOptions } from '../src/robust/attacks.js';
import { tfCnnSmall, type TfCnnSmall } from './peers/tfjs-cnn-small.js';
import { tfjsWebGpu, type TfPeer } from './peers/tfjs.js';
import { CNN_SMALL_FLOPS, timeInterleaved, type BenchContext, type Row } from './harness.js';

const EPS = 0.1;
const ALPHA = 0.025;

export async function benchPgd(ctx: BenchContext, batch = 256, steps = 10): Promise<Row[]> {
  const { rt } = ctx;
  const rows: Row[] = [];
  const model = cnnSmall({ seed: 1 });
  const rng = new rl.Rng(2);
  const xData = Float32Array.from(rng.fillUniform(batch * 784));
  const y = Int32Array.from({ length: batch }, () => rng.int(10));
  const x = rl.tensor(xData, [batch, 1, 28, 28]);
  const flops = (steps * CNN_SMALL_FLOPS.attackStep + CNN_SMALL_FLOPS.forward) * batch;
  const shape = `batch ${batch}, 1x28x28, cnn-small`;
  const tf = await tfjsWebGpu(rt);
  const tfm = tf ? await tfCnnSmall(tf, model, false) : null;
  const peer = tf && tfm ? tfPgd(tf, tfm, xData, y) : null;
  let seed = 0;
  const ours = async (o: Partial<PgdOptions>): Promise<{ x: rl.Tensor; success: Float32Array }> => {
    const r = pgdTensors(model, x, y, resolvePgd('bench pgd', x, y, { eps: EPS, alpha: ALPHA, steps, seed: seed++, ...o }));
    const success = Float32Array.from(await r.success.data());
    for (const t of [r.success, r.loss, r.firstStep, r.cleanCorrect]) t.dispose();
    return { x: r.x, success };
  };
  try {
    let agreement = '';
    if (peer) {
      const a = await ours({ steps: 1, start: 'none' });
      const mine = await a.x.data();
      a.x.dispose();
      const theirs = await peer.attack(1, false);
      let same = 0;
      for (let i = 0; i < mine.length; i++) if (Math.abs(mine[i]! - theirs.x[i]!) <= 1e-6) same++;
      const frac = same / mine.length;
      if (frac < 0.99) throw new Error(`pgd: one step from the clean input differs from TF.js's on ${(100 * (1 - frac)).toFixed(2)}% of the pixels`);
      agreement = `one step from x agrees with TF.js on ${(100 * frac).toFixed(2)}% of pixels`;
    }

    // Ours without and with per-step tracking, and TF.js's attack, their runs interleaved. TF.js's
    // attack takes many seconds: fewer repetitions, and no warm-up run (the agreement check has
    // compiled every kernel but the random start's).
    const success: Float32Array[] = [];
    const oursCase = (i: number, trackSteps: boolean) => ({
      run: async () => {
        const r = await ours({ trackSteps });
        r.x.dispose();
        success[i] = r.success;
      },
      reps: ctx.reps,
      probe: ctx.probes ? { rate: ctx.probes.gflops, work: flops } : undefined,
    });
    const t = await timeInterleaved(rt, [
      oursCase(0, false),
      oursCase(1, true),
      ...(peer ? [{ run: async () => { success[2] = (await peer.attack(steps, true)).success; }, reps: Math.min(ctx.reps, 3), warmup: false }] : []),
    ]);
    const tfMs = t[2]?.ms;
    for (const [i, trackSteps] of [[0, false], [1, true]] as const) {
      const note = [`success ${(100 * mean(success[i]!)).toFixed(1)}%`, trackSteps ? 'tracks the first successful step' : agreement].filter(Boolean).join('; ');
      rows.push({
        adapter: ctx.adapter, op: `PGD-${steps} L-inf eps ${EPS} alpha ${ALPHA}${trackSteps ? ', per-step tracking (default)' : ''}`, shape,
        ms: t[i]!.ms, compileMs: t[i]!.compileMs, rate: flops / t[i]!.ms / 1e6, unit: 'GFLOP/s', ofCeiling: t[i]!.ofProbe,
        vsTfjs: tfMs === undefined ? undefined : tfMs / t[i]!.ms, tfjsMs: tfMs, note,
      });
    }
    if (t[2]) {
      rows.push({
        adapter: ctx.adapter, op: `PGD-${steps} L-inf, TF.js WebGPU (tf.grad, sign, step, clip)`, shape, ms: t[2].ms, compileMs: t[2].compileMs, rate: flops / t[2].ms / 1e6, unit: 'GFLOP/s',
        note: `success ${(100 * mean(success[2]!)).toFixed(1)}%; median of ${t[2].all.length}, interleaved with ours`,
      });
    }
    return rows;
  } finally {
    peer?.dispose();
    tfm?.dispose();
    x.dispose();
    model.dispose();
  }
}

const mean = (v: Float32Array): number => v.reduce((a, b) => a + b, 0) / v.length;

/** The attack in TF.js (NHWC; with one channel the pixel order is ours). */
function tfPgd(peer: TfPeer, m: TfCnnSmall, xData: Float32Array, y: Int32Array) {
  const { tf } = peer;
  type T = import('@tensorflow/tfjs').Tensor;
  const B = y.length;
  const x = tf.tensor4d(xData, [B, 28, 28, 1]);
  const labels = tf.tensor1d(y, 'int32');
  const onehot = tf.oneHot(labels, 10);
  const lo = tf.tidy(() => tf.maximum(tf.sub(x, EPS), 0));
  const hi = tf.tidy(() => tf.minimum(tf.add(x, EPS), 1));
  // Summed cross-entropy: the per-example objective's gradient, as ours ascends it.
  const grad = tf.grad((xi: T) => tf.losses.softmaxCrossEntropy(onehot, m.forward(xi), undefined, undefined, tf.Reduction.SUM));
  return {
    async attack(steps: number, randomStart: boolean): Promise<{ x: Float32Array; success: Float32Array }> {
      let xa = randomStart ? tf.tidy(() => tf.clipByValue(tf.add(x, tf.randomUniform(x.shape, -EPS, EPS)), 0, 1)) : tf.clone(x);
      for (let i = 0; i < steps; i++) {
        const next = tf.tidy(() => tf.minimum(tf.maximum(tf.add(xa, tf.mul(tf.sign(grad(xa)), ALPHA)), lo), hi));
        xa.dispose();
        xa = next;
      }
      const success = tf.tidy(() => tf.cast(tf.notEqual(tf.argMax(m.forward(xa), 1), labels), 'float32'));
      const [xs, s] = await Promise.all([randomStart ? Promise.resolve(new Float32Array(0)) : xa.data(), success.data()]);
      xa.dispose();
      success.dispose();
      return { x: Float32Array.from(xs), success: Float32Array.from(s) };
    },
    dispose() {
      for (const t of [x, labels, onehot, lo, hi]) t.dispose();
    },
  };
}
