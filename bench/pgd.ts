/**
 * PGD-10, L-inf, eps 0.1, alpha 0.025, uniform random start, on a batch of 256 against cnn-small
 * (untrained weights: the cost does not depend on them), issue 4's target (>= 3x faster than the
 * same attack written with TF.js WebGPU on the same adapter in the same process) and issue 14's
 * (ours / PyTorch CPU with every core <= 1.3).
 * - ours: robust.pgdTensors (what attacks.pgd runs after its argument checks), with per-step success
 *   tracking off (the attack alone, as adversarial training runs it) and on (the default), ending
 *   with the readback of the success flags;
 * - TF.js: random start, then per step tf.grad of the summed cross-entropy w.r.t. the input, sign,
 *   step, projection onto the ball, clip to [0, 1]; then one forward for the success flags, read back.
 *   Ours does one forward more (the clean one, for clean accuracy);
 * - PyTorch on the CPU with every core, in a child process with a copy of our weights and batch
 *   (bench/peers/torch.ts): the clean forward, the same steps with torch.autograd.grad, the final
 *   forward, the success flags read back.
 * Before timing, the peers must compute our attack: one step from the clean input (no random start)
 * gives the same adversarial pixels (up to sign flips of gradients within float error of zero), and
 * with PyTorch also the same loss trajectory over three steps without random start.
 * GFLOP/s counts the common work: 10 attack steps and one forward (CNN_SMALL_FLOPS).
 * With --profile, one PGD-10 attack of ours is profiled (bench/profile.ts).
 */
import * as rl from '../src/node.js';
import { cnnSmall } from '../src/nn/models.js';
import { pgdTensors, resolvePgd, type PgdOptions } from '../src/robust/attacks.js';
import { tfCnnSmall, type TfCnnSmall } from './peers/tfjs-cnn-small.js';
import { tfjsWebGpu, type TfPeer } from './peers/tfjs.js';
import { startTorchPeer, torchRounds, torchRow, type TorchPeer } from './peers/torch.js';
import { profileStep } from './profile.js';
import { CNN_SMALL_FLOPS, timeInterleaved, type BenchContext, type InterleavedCase, type Row } from './harness.js';

const EPS = 0.1;
const ALPHA = 0.025;

export type Ours = (o: Partial<PgdOptions>, withLoss?: boolean) => Promise<{ x: rl.Tensor; success: Float32Array; loss: number }>;

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
  const tfPeer = tf && tfm ? tfPgd(tf, tfm, xData, y) : null;
  const torch = await startTorchPeer(model, { data: xData, shape: [batch, 1, 28, 28] }, y);
  if ('skipped' in torch) console.log(`pgd: no PyTorch row: ${torch.skipped}`);
  const pyPeer = 'skipped' in torch ? null : torch;
  let seed = 0;
  const ours: Ours = async (o, withLoss = false) => {
    const r = pgdTensors(model, x, y, resolvePgd('bench pgd', x, y, { eps: EPS, alpha: ALPHA, steps, seed: seed++, ...o }));
    const success = Float32Array.from(await r.success.data());
    const loss = withLoss ? mean(Float32Array.from(await r.loss.data())) : NaN;
    for (const t of [r.success, r.loss, r.firstStep, r.cleanCorrect]) t.dispose();
    return { x: r.x, success, loss };
  };
  try {
    const agreement: string[] = [];
    if (tfPeer) {
      const a = await ours({ steps: 1, start: 'none' });
      const mine = await a.x.data();
      a.x.dispose();
      const theirs = await tfPeer.attack(1, false);
      const frac = samePixels(mine, theirs.x);
      if (frac < 0.99) throw new Error(`pgd: one step from the clean input differs from TF.js's on ${(100 * (1 - frac)).toFixed(2)}% of the pixels`);
      agreement.push(`one step from x agrees with TF.js on ${(100 * frac).toFixed(2)}% of pixels`);
    }
    if (pyPeer) agreement.push(await checkTorch(pyPeer, ours));

    // Ours without and with per-step tracking, and the peers' attacks, their runs interleaved.
    // TF.js's attack takes many seconds: fewer repetitions, and no warm-up run (the agreement check
    // has compiled every kernel but the random start's).
    const success: Float32Array[] = [];
    let torchSuccess = NaN;
    const oursCase = (i: number, trackSteps: boolean): InterleavedCase => ({
      run: async () => {
        const r = await ours({ trackSteps });
        r.x.dispose();
        success[i] = r.success;
      },
      reps: ctx.reps,
    });
    const cases = [oursCase(0, false), oursCase(1, true)];
    if (tfPeer) cases.push({ run: async () => { success[2] = (await tfPeer.attack(steps, true)).success; }, reps: Math.min(ctx.reps, 3), warmup: false });
    if (pyPeer) {
      cases.push({
        run: async () => {
          const r = await pyPeer.request<{ ms: number; success: number }>({ cmd: 'pgd', steps, eps: EPS, alpha: ALPHA, start: 'uniform', seed: seed++ });
          torchSuccess = r.success;
          return r.ms;
        },
        reps: ctx.reps,
        timesItself: true,
      });
    }
    const t = await timeInterleaved(rt, cases);
    const tfT = tfPeer ? t[2] : undefined;
    const pt = pyPeer ? t[tfPeer ? 3 : 2] : undefined;
    for (const [i, trackSteps] of [[0, false], [1, true]] as const) {
      const note = [`success ${(100 * mean(success[i]!)).toFixed(1)}%`, trackSteps ? 'tracks the first successful step' : agreement.join('; '), pt ? torchRounds(t[i]!.all, pt.all) : ''].filter(Boolean).join('; ');
      rows.push({
        adapter: ctx.adapter, op: `PGD-${steps} L-inf eps ${EPS} alpha ${ALPHA}${trackSteps ? ', per-step tracking (default)' : ''}`, shape,
        ms: t[i]!.ms, compileMs: t[i]!.compileMs, rate: flops / t[i]!.ms / 1e6, unit: 'GFLOP/s',
        vsTfjs: tfT ? tfT.ms / t[i]!.ms : undefined, tfjsMs: tfT?.ms,
        ...(pyPeer && pt ? { torchMs: pt.ms, torchThreads: pyPeer.threads } : {}), note,
      });
    }
    if (tfT) {
      rows.push({
        adapter: ctx.adapter, op: `PGD-${steps} L-inf, TF.js WebGPU (tf.grad, sign, step, clip)`, shape, ms: tfT.ms, compileMs: tfT.compileMs, rate: flops / tfT.ms / 1e6, unit: 'GFLOP/s',
        note: `success ${(100 * mean(success[2]!)).toFixed(1)}%; median of ${tfT.all.length}, interleaved with ours`,
      });
    }
    if (pyPeer && pt) {
      const row = torchRow(pyPeer, `PGD-${steps} L-inf, PyTorch CPU (autograd.grad, sign, step, clamp)`, shape, pt.ms, pt.compileMs, flops / pt.ms / 1e6);
      rows.push({ ...row, note: `success ${(100 * torchSuccess).toFixed(1)}%; ${row.note}` });
    }
    if (ctx.profile) {
      await profileStep(ctx, 'pgd', `one PGD-${steps} attack, L-inf, batch ${batch}, cnn-small (pgdTensors without per-step tracking: clean forward, ${steps} steps, final forward, readback of the success flags; a step is about a tenth)`, async () => (await ours({ trackSteps: false })).x.dispose(), { flops });
    }
    return rows;
  } finally {
    pyPeer?.dispose();
    tfPeer?.dispose();
    tfm?.dispose();
    x.dispose();
    model.dispose();
  }
}

/** Fraction of entries of a and b within 1e-6 of each other. */
function samePixels(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) <= 1e-6) same++;
  return same / a.length;
}

/**
 * PyTorch computes our attack: without random start, one step gives the same pixels (but for sign
 * flips where a gradient entry is within float error of zero), and the mean cross-entropy after 1,
 * 2 and 3 steps agrees (such flips barely move it: the loss is flat along them).
 */
export async function checkTorch(peer: TorchPeer, ours: Ours): Promise<string> {
  const mine: number[] = [];
  const theirs: number[] = [];
  let frac = 0;
  for (const k of [1, 2, 3]) {
    const a = await ours({ steps: k, start: 'none' }, true);
    const p = await peer.request<{ loss: number; x?: string }>({ cmd: 'pgd', steps: k, eps: EPS, alpha: ALPHA, start: 'none', dump: k === 1 });
    if (k === 1) frac = samePixels(await a.x.data(), peer.readFloats(p.x!));
    a.x.dispose();
    mine.push(a.loss);
    theirs.push(p.loss);
  }
  const close = mine.every((l, i) => Math.abs(l - theirs[i]!) <= 1e-3 * Math.max(1, Math.abs(l)));
  if (frac < 0.99 || !close) {
    throw new Error(`pgd: PyTorch does not compute our attack: one step from x agrees on ${(100 * frac).toFixed(2)}% of pixels; mean losses after 1-3 steps ${mine.join(', ')} (ours) vs ${theirs.join(', ')} (PyTorch)`);
  }
  return `with PyTorch on ${(100 * frac).toFixed(2)}% of pixels, and mean losses after 1-3 steps agree (${mine.map((l) => l.toFixed(5)).join(', ')} vs ${theirs.map((l) => l.toFixed(5)).join(', ')})`;
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
