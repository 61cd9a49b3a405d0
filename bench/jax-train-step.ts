/**
 * Training steps, robustlens against jax-js on WebGPU (same adapter, jax-js on its own device), for
 * bench/jax.ts: mlp (784-256-10, batch 128) and cnn-small (batch 64, the model of bench/train-step.ts).
 * Ours: valueAndGrad of the cross-entropy, SGD momentum 0.9 (fused updates), the loss read back and
 * the queue drained. jax-js: the same model with a copy of our weights (bench/peers/jax-models.ts)
 * and one jit-compiled step (bench/peers/jax-train.ts), its loss read back and its new parameters
 * waited for. Both engines take two steps first and must agree on both losses before anything is
 * timed; the timed steps are interleaved (harness.timeInterleaved).
 */
import * as rl from '../src/node.js';
import { cnnSmall, mlp } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { SGD } from '../src/optim/index.js';
import { jaxCnnSmall, jaxMlp, type JaxModel } from './peers/jax-models.js';
import { jaxSgdTrainer } from './peers/jax-train.js';
import type { JaxPeer } from './peers/jax.js';
import { CNN_SMALL_FLOPS, pairedRatio, timeInterleaved, type BenchContext, type Row } from './harness.js';

const LR = 0.01;
const MOMENTUM = 0.9;

interface Spec {
  name: string;
  shape: string;
  batch: number;
  /** Input shape of one batch, ours (NCHW; jax-js takes the same). */
  input: number[];
  model: () => Module;
  jaxModel: (peer: JaxPeer, m: Module) => Promise<JaxModel>;
  /** FLOPs per step (2 per multiply-add). */
  flops: number;
}

const mlpFlops = (batch: number, hidden: number): number => {
  const forward = 2 * batch * (784 * hidden + hidden * 10);
  // Weight gradients (one forward's worth) and the hidden layer's input gradient; x needs none.
  return 2 * forward + 2 * batch * hidden * 10;
};

export const JAX_TRAIN_SPECS: Spec[] = [
  { name: 'MLP', shape: 'batch 128, 784-256-10', batch: 128, input: [128, 1, 28, 28], model: () => mlp({ seed: 3, hidden: [256] }), jaxModel: jaxMlp, flops: mlpFlops(128, 256) },
  { name: 'cnn-small', shape: 'batch 64, 1x28x28', batch: 64, input: [64, 1, 28, 28], model: () => cnnSmall({ seed: 1 }), jaxModel: jaxCnnSmall, flops: CNN_SMALL_FLOPS.trainStep * 64 },
];

export async function jaxTrainSteps(ctx: BenchContext, peer: JaxPeer, specs = JAX_TRAIN_SPECS): Promise<Row[]> {
  const rows: Row[] = [];
  for (const s of specs) rows.push(...(await trainStep(ctx, peer, s)));
  return rows;
}

const spread = (xs: readonly number[]): string => `${Math.min(...xs).toPrecision(3)}-${Math.max(...xs).toPrecision(3)}`;

async function trainStep(ctx: BenchContext, peer: JaxPeer, s: Spec): Promise<Row[]> {
  const { rt } = ctx;
  const np = peer.jax.numpy;
  const { batch } = s;
  const model = s.model();
  const params = model.parameters();
  const opt = new SGD(model.namedParameters(), { lr: LR, momentum: MOMENTUM });
  const size = s.input.reduce((a, b) => a * b, 1);
  const hx = Float32Array.from(new rl.Rng(4).fillUniform(size));
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10);
  const onehot = new Float32Array(batch * 10);
  labels.forEach((l, i) => (onehot[i * 10 + l] = 1));
  const x = rl.tensor(hx, s.input);
  const y = rl.tensor(labels, [batch], { dtype: 'int32' });
  // The jax-js copy is taken before our first step, so both start from the same weights.
  const jmodel = await s.jaxModel(peer, model);
  const trainer = jaxSgdTrainer(peer, jmodel.params, jmodel.forward, { lr: LR, momentum: MOMENTUM, batch });
  const jx = np.array(hx).reshape(s.input);
  const jy = np.array(onehot).reshape([batch, 10]);
  const ours = async (): Promise<number> => {
    const { value, grads } = rl.valueAndGrad(() => rl.nn.crossEntropy(model.forward(x), y), params);
    opt.step(params, grads);
    grads.forEach((g) => g.dispose());
    const loss = (await value.data())[0]!;
    value.dispose();
    await rt.sync();
    return loss;
  };
  try {
    // The first step of each compiles (jax-js: traces and jit-compiles): the rows' "compile ms".
    let t0 = performance.now();
    const lo = [await ours()];
    const oursFirstMs = performance.now() - t0;
    lo.push(await ours());
    t0 = performance.now();
    const lj = [await trainer.step(jx, jy)];
    const jaxFirstMs = performance.now() - t0;
    lj.push(await trainer.step(jx, jy));
    const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a));
    if (!close(lo[0]!, lj[0]!) || !close(lo[1]!, lj[1]!)) {
      throw new Error(`jax ${s.name} train step: jax-js does not compute our step: losses ${lo.join(', ')} (ours) vs ${lj.join(', ')} (jax-js)`);
    }
    const agreement = `losses of the first two steps agree (${lo.map((l) => l.toFixed(5)).join(', ')} vs ${lj.map((l) => l.toFixed(5)).join(', ')})`;
    const [o, j] = await timeInterleaved(rt, [
      { run: ours, reps: ctx.reps },
      { run: () => trainer.step(jx, jy), reps: ctx.reps },
    ]);
    const pr = pairedRatio(o!.all, j!.all);
    return [
      {
        adapter: ctx.adapter, op: `${s.name} train step (valueAndGrad + SGD momentum 0.9)`, shape: s.shape, ms: o!.ms, compileMs: oursFirstMs, rate: s.flops / o!.ms / 1e6, unit: 'GFLOP/s',
        vsJax: j!.ms / o!.ms, jaxMs: j!.ms, note: `${agreement}; ours ${spread(o!.all)} ms over ${o!.all.length} runs`,
      },
      {
        adapter: ctx.adapter, op: `${s.name} train step, jax-js jit(valueAndGrad + SGD momentum)`, shape: s.shape, ms: j!.ms, compileMs: jaxFirstMs, rate: s.flops / j!.ms / 1e6, unit: 'GFLOP/s',
        note: `the peer, its own device on our adapter; robustlens/jax-js time ${(o!.ms / j!.ms).toFixed(2)} (per round: median ${pr.median.toFixed(2)}, ${pr.min.toFixed(2)}-${pr.max.toFixed(2)}); ${spread(j!.all)} ms over ${j!.all.length} runs`,
      },
    ];
  } finally {
    trainer.dispose();
    jx.dispose();
    jy.dispose();
    x.dispose();
    y.dispose();
    opt.dispose();
    model.dispose();
  }
}
