/**
 * One cnn-small training step (forward, cross-entropy, backward, SGD with momentum 0.9) at batch 64,
 * issue 3's target (>= 3x faster than TF.js WebGPU on the same adapter in the same process) and
 * issue 14's (ours / PyTorch CPU with every core <= 1.3):
 * - ours through trainEpoch (one batch per call, so each step ends with the loop's readback of
 *   the loss and the correct count), and ten steps in one epoch (one readback at the end);
 * - the same model and step in TF.js WebGPU on our GPUDevice, starting from a copy of our weights
 *   (bench/peers/tfjs-cnn-small.ts; tf.train.momentum is PyTorch's SGD rule with dampening 0);
 * - the same in PyTorch on the CPU with every core, in a child process holding a copy of our weights
 *   and our batch (bench/peers/torch.ts), each step ending with loss.item();
 * - the fused optimizer updates alone (SGD momentum, Adam) over cnn-small's parameters.
 * Every engine takes two steps first and must agree with our losses before anything is timed; then
 * the steps of all are timed interleaved. With --profile, one step of ours is profiled (bench/profile.ts).
 * GFLOP/s counts the step's convolutions and dense layers (CNN_SMALL_FLOPS).
 */
import * as rl from '../src/node.js';
import { cnnSmall } from '../src/nn/models.js';
import { Adam, SGD, type Optimizer } from '../src/optim/index.js';
import type { Batch } from '../src/data/dataset.js';
import { trainEpoch } from '../src/train/loop.js';
import { tfCnnSmall } from './peers/tfjs-cnn-small.js';
import { tfjsWebGpu } from './peers/tfjs.js';
import { startTorchPeer, torchRounds, torchRow } from './peers/torch.js';
import { profileStep } from './profile.js';
import { CNN_SMALL_FLOPS, timeGpuCalls, timeInterleaved, type BenchContext, type InterleavedCase, type Row } from './harness.js';

const LR = 0.01;
const MOMENTUM = 0.9;

export async function benchTrainStep(ctx: BenchContext, batch = 64): Promise<Row[]> {
  const { rt } = ctx;
  const rows: Row[] = [];
  const model = cnnSmall({ seed: 1 });
  const opt = new SGD(model.namedParameters(), { lr: LR, momentum: MOMENTUM });
  const rng = new rl.Rng(2);
  const xData = Float32Array.from(rng.fillUniform(batch * 784));
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
  const b: Batch = { x: rl.tensor(xData, [batch, 1, 28, 28]), y: labels };
  const flops = CNN_SMALL_FLOPS.trainStep * batch;
  const shape = `batch ${batch}, 1x28x28`;
  const ourStep = () => trainEpoch(model, opt, [b], undefined, { keepBatches: true, quiet: true });
  const tf = await tfjsWebGpu(rt);
  // The peers' copies are taken before our first step, so all start from the same weights.
  const tfm = tf ? await tfCnnSmall(tf, model, true) : null;
  const torch = await startTorchPeer(model, { data: xData, shape: [batch, 1, 28, 28] }, labels);
  if ('skipped' in torch) console.log(`train-step: no PyTorch row: ${torch.skipped}`);
  const peer = 'skipped' in torch ? null : torch;
  const cleanup: { dispose(): void }[] = [];
  try {
    // Two steps each, untimed: the losses before and after one update must agree.
    // The first step of each compiles its pipelines: that is the rows' "compile ms".
    let t0 = performance.now();
    const ours0 = (await ourStep()).loss;
    const oursCompileMs = performance.now() - t0;
    const ours1 = (await ourStep()).loss;
    const agreement: string[] = [];
    const close = (a: number, c: number, tol: number): boolean => Math.abs(a - c) <= tol * Math.max(1, Math.abs(a));

    let tfCompileMs = 0;
    let tfStep: (() => Promise<void>) | null = null;
    if (tf && tfm) {
      const x = tf.tf.tensor4d(xData, [batch, 28, 28, 1]); // C = 1: NCHW and NHWC hold the same numbers
      const onehot = tf.tf.tidy(() => tf.tf.oneHot(tf.tf.tensor1d(labels, 'int32'), 10));
      const tfOpt = tf.tf.train.momentum(LR, MOMENTUM);
      cleanup.push(x, onehot, tfOpt);
      const vars = tfm.weights as import('@tensorflow/tfjs').Variable[];
      const step = () => tfOpt.minimize(() => tf.tf.losses.softmaxCrossEntropy(onehot, tfm.forward(x)) as import('@tensorflow/tfjs').Scalar, true, vars)!;
      const losses: number[] = [];
      for (let i = 0; i < 2; i++) {
        t0 = performance.now();
        const c = step();
        losses.push((await c.data())[0]!);
        if (i === 0) tfCompileMs = performance.now() - t0;
        c.dispose();
      }
      if (!close(ours0, losses[0]!, 2e-3) || !close(ours1, losses[1]!, 2e-3)) {
        throw new Error(`train-step: TF.js does not compute our step: losses ${ours0}, ${ours1} (ours) vs ${losses[0]}, ${losses[1]} (TF.js)`);
      }
      agreement.push(`losses of the first two steps agree with TF.js (${ours0.toFixed(4)}, ${ours1.toFixed(4)})`);
      // Timed up to the queue's end (no readback: if anything, that favours TF.js).
      tfStep = async () => {
        const c = step();
        await tf.sync();
        c.dispose();
      };
    }

    let torchFirstMs = 0;
    if (peer) {
      const t = await peer.request<{ losses: number[]; ms: number[] }>({ cmd: 'train', steps: 2 });
      torchFirstMs = t.ms[0]!;
      // Both run in f32 from the same weights on the same batch; only summation orders differ.
      if (!close(ours0, t.losses[0]!, 1e-4) || !close(ours1, t.losses[1]!, 1e-4)) {
        throw new Error(`train-step: PyTorch does not compute our step: losses ${ours0}, ${ours1} (ours) vs ${t.losses[0]}, ${t.losses[1]} (PyTorch)`);
      }
      agreement.push(`with PyTorch (${t.losses.map((l) => l.toFixed(6)).join(', ')} vs ours ${ours0.toFixed(6)}, ${ours1.toFixed(6)})`);
    }

    // Ours (one step per trainEpoch call) and the peers' steps, interleaved.
    const cases: InterleavedCase[] = [{ run: ourStep, reps: ctx.reps }];
    if (tfStep) cases.push({ run: tfStep, reps: ctx.reps });
    if (peer) cases.push({ run: async () => (await peer.request<{ ms: number[] }>({ cmd: 'train', steps: 1 })).ms[0], reps: ctx.reps, timesItself: true });
    const [ours, ...others] = await timeInterleaved(rt, cases);
    const theirs = tfStep ? others.shift() : undefined;
    const pt = peer ? others.shift() : undefined;
    cleanup.splice(0).forEach((c) => c.dispose());
    const ms = ours!.ms;
    const tfMs = theirs?.ms;
    const vsTorch = (peer && pt ? { torchMs: pt.ms, torchThreads: peer.threads } : {}) as Pick<Row, 'torchMs' | 'torchThreads'>;
    rows.push({
      adapter: ctx.adapter, op: 'train step (trainEpoch, SGD momentum 0.9)', shape, ms, compileMs: oursCompileMs, rate: flops / ms / 1e6, unit: 'GFLOP/s',
      vsTfjs: tfMs === undefined ? undefined : tfMs / ms, tfjsMs: tfMs, ...vsTorch,
      note: [agreement.join('; '), pt ? torchRounds(ours!.all, pt.all) : ''].filter(Boolean).join('; '),
    });
    if (theirs) {
      rows.push({ adapter: ctx.adapter, op: 'train step, TF.js WebGPU (fused conv/matmul + bias + ReLU, tf.train.momentum)', shape, ms: theirs.ms, compileMs: tfCompileMs, rate: flops / theirs.ms / 1e6, unit: 'GFLOP/s', note: 'the peer, same device, NHWC; runs interleaved with ours' });
    }
    if (peer && pt) rows.push(torchRow(peer, 'train step, PyTorch CPU (nn.Sequential, torch.optim.SGD momentum 0.9, loss.item())', shape, pt.ms, torchFirstMs, flops / pt.ms / 1e6));

    // Ten steps in one epoch: what training sees (no readback between steps).
    const steps = 10;
    await rt.sync();
    const d0 = rt.dispatches;
    const sub0 = rt.submits;
    const m = await trainEpoch(model, opt, Array.from({ length: steps }, () => b), undefined, { keepBatches: true, quiet: true, logEvery: 1e9 });
    const per = (1000 * m.seconds) / steps;
    rows.push({
      adapter: ctx.adapter, op: `train step, ${steps} in one epoch`, shape, ms: per, rate: flops / per / 1e6, unit: 'GFLOP/s',
      vsTfjs: tfMs === undefined ? undefined : tfMs / per, tfjsMs: tfMs, ...vsTorch,
      note: `${((rt.dispatches - d0) / steps).toFixed(0)} dispatches/step, ${rt.submits - sub0} submits in all`,
    });

    // The update alone: one fused dispatch per parameter tensor. Bytes: SGD reads p, g, buf and
    // writes p, buf; Adam reads p, g, m, v and writes p, m, v.
    const params = model.parameters();
    const n = params.reduce((a, p) => a + p.size, 0);
    const grads = params.map((p) => rl.onesLike(p));
    const adam = new Adam(model.namedParameters());
    for (const [name, o, floats] of [['SGD momentum update', opt, 5], ['Adam update', adam, 7]] as [string, Optimizer, number][]) {
      const bytes = 4 * floats * n;
      const t = await timeGpuCalls(rt, () => o.step(params, grads), ctx.reps, { calls: 'auto' });
      rows.push({ adapter: ctx.adapter, op: name, shape: `${n} parameters in ${params.length} tensors`, ms: t.ms, compileMs: t.compileMs, rate: bytes / t.ms / 1e6, unit: 'GB/s', note: `${t.calls} updates per timed run` });
    }
    adam.dispose();
    grads.forEach((g) => g.dispose());

    if (ctx.profile) await profileStep(ctx, 'train-step', `one cnn-small training step, batch ${batch} (trainEpoch over one batch: forward, cross-entropy, backward, SGD momentum 0.9, readback of loss and correct count)`, ourStep, { flops });
    return rows;
  } finally {
    cleanup.forEach((c) => c.dispose());
    peer?.dispose();
    tfm?.dispose();
    b.x.dispose();
    opt.dispose();
    model.dispose();
  }
}
