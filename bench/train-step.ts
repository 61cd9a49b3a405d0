/**
 * One cnn-small training step (forward, cross-entropy, backward, SGD with momentum 0.9) at batch 64,
 * issue 3's target (>= 3x faster than TF.js WebGPU on the same adapter in the same process):
 * - ours through trainEpoch (one batch per call, so each step ends with the loop's readback of
 *   the loss and the correct count), and ten steps in one epoch (one readback at the end);
 * - the same model and step in TF.js WebGPU on our GPUDevice, starting from a copy of our weights
 *   (bench/peers/tfjs-cnn-small.ts; tf.train.momentum is PyTorch's SGD rule with dampening 0); both
 *   engines take two steps first and must agree on the losses before anything is timed;
 * - PyTorch on the CPU in a child process (bench/peers/torch-train-step.py) when python3 can import torch;
 * - the fused optimizer updates alone (SGD momentum, Adam) over cnn-small's parameters.
 * GFLOP/s counts the step's convolutions and dense layers (CNN_SMALL_FLOPS).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as rl from '../src/node.js';
import { cnnSmall } from '../src/nn/models.js';
import { Adam, SGD, type Optimizer } from '../src/optim/index.js';
import type { Batch } from '../src/data/dataset.js';
import { trainEpoch } from '../src/train/loop.js';
import { tfCnnSmall } from './peers/tfjs-cnn-small.js';
import { tfjsWebGpu } from './peers/tfjs.js';
import { CNN_SMALL_FLOPS, timeGpuCalls, timeInterleaved, type BenchContext, type Row } from './harness.js';

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
  const tf = await tfjsWebGpu(rt);
  // The TF.js copy is taken before our first step, so both start from the same weights.
  const tfm = tf ? await tfCnnSmall(tf, model, true) : null;
  try {
    // Two steps each, untimed: the losses before and after one update must agree.
    // The first step of each compiles its pipelines: that is the rows' "compile ms".
    let t0 = performance.now();
    const ours0 = (await trainEpoch(model, opt, [b], undefined, { keepBatches: true, quiet: true })).loss;
    const oursCompileMs = performance.now() - t0;
    const ours1 = (await trainEpoch(model, opt, [b], undefined, { keepBatches: true, quiet: true })).loss;

    let agreement = '';
    let tfCompileMs = 0;
    let tfStep: (() => Promise<void>) | null = null;
    const cleanup: { dispose(): void }[] = [];
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
      const close = (a: number, c: number): boolean => Math.abs(a - c) <= 2e-3 * Math.max(1, Math.abs(a));
      if (!close(ours0, losses[0]!) || !close(ours1, losses[1]!)) {
        throw new Error(`train-step: TF.js does not compute our step: losses ${ours0}, ${ours1} (ours) vs ${losses[0]}, ${losses[1]} (TF.js)`);
      }
      agreement = `losses of the first two steps agree with TF.js (${ours0.toFixed(4)}, ${ours1.toFixed(4)})`;
      // Timed up to the queue's end (no readback: if anything, that favours TF.js).
      tfStep = async () => {
        const c = step();
        await tf.sync();
        c.dispose();
      };
    }

    // Ours (one step per trainEpoch call, the FMA probe before each) and TF.js's, interleaved.
    const probe = ctx.probes ? { rate: ctx.probes.gflops, work: flops } : undefined;
    const [ours, theirs] = await timeInterleaved(rt, [
      { run: () => trainEpoch(model, opt, [b], undefined, { keepBatches: true, quiet: true }), reps: ctx.reps, probe },
      ...(tfStep ? [{ run: tfStep, reps: ctx.reps }] : []),
    ]);
    cleanup.forEach((c) => c.dispose());
    const ms = ours!.ms;
    const tfMs = theirs?.ms;
    const torch = torchStep(batch, ctx.reps);
    rows.push({
      adapter: ctx.adapter, op: 'train step (trainEpoch, SGD momentum 0.9)', shape, ms, compileMs: oursCompileMs, rate: flops / ms / 1e6, unit: 'GFLOP/s',
      ofCeiling: ours!.ofProbe, vsTfjs: tfMs === undefined ? undefined : tfMs / ms, tfjsMs: tfMs,
      note: [agreement, torch.ms === undefined ? torch.note : `PyTorch CPU ${torch.ms.toFixed(1)} ms: ours ${(torch.ms / ms).toFixed(2)}x`].filter(Boolean).join('; '),
    });
    if (theirs) {
      rows.push({ adapter: ctx.adapter, op: 'train step, TF.js WebGPU (fused conv/matmul + bias + ReLU, tf.train.momentum)', shape, ms: theirs.ms, compileMs: tfCompileMs, rate: flops / theirs.ms / 1e6, unit: 'GFLOP/s', note: 'the peer, same device, NHWC; runs interleaved with ours' });
    }

    // Ten steps in one epoch: what training sees (no readback between steps).
    const steps = 10;
    await rt.sync();
    const d0 = rt.dispatches;
    const sub0 = rt.submits;
    const m = await trainEpoch(model, opt, Array.from({ length: steps }, () => b), undefined, { keepBatches: true, quiet: true, logEvery: 1e9 });
    const per = (1000 * m.seconds) / steps;
    rows.push({
      adapter: ctx.adapter, op: `train step, ${steps} in one epoch`, shape, ms: per, rate: flops / per / 1e6, unit: 'GFLOP/s',
      vsTfjs: tfMs === undefined ? undefined : tfMs / per, tfjsMs: tfMs,
      note: `${((rt.dispatches - d0) / steps).toFixed(0)} dispatches/step, ${rt.submits - sub0} submits in all`,
    });
    if (torch.ms !== undefined) {
      rows.push({ adapter: `PyTorch ${torch.version} CPU`, op: 'train step, PyTorch CPU (child process)', shape, ms: torch.ms, compileMs: torch.firstMs, rate: flops / torch.ms / 1e6, unit: 'GFLOP/s', note: `${torch.threads} threads` });
    }

    // The update alone: one fused dispatch per parameter tensor. Bytes: SGD reads p, g, buf and
    // writes p, buf; Adam reads p, g, m, v and writes p, m, v.
    const params = model.parameters();
    const n = params.reduce((a, p) => a + p.size, 0);
    const grads = params.map((p) => rl.onesLike(p));
    const adam = new Adam(model.namedParameters());
    for (const [name, o, floats] of [['SGD momentum update', opt, 5], ['Adam update', adam, 7]] as [string, Optimizer, number][]) {
      const bytes = 4 * floats * n;
      const probe = ctx.probes ? { rate: ctx.probes.gbps, work: bytes } : undefined;
      const t = await timeGpuCalls(rt, () => o.step(params, grads), ctx.reps, { calls: 'auto', probe });
      rows.push({ adapter: ctx.adapter, op: name, shape: `${n} parameters in ${params.length} tensors`, ms: t.ms, compileMs: t.compileMs, rate: bytes / t.ms / 1e6, unit: 'GB/s', ofCeiling: t.ofProbe, note: `${t.calls} updates per timed run` });
    }
    adam.dispose();
    grads.forEach((g) => g.dispose());
    return rows;
  } finally {
    tfm?.dispose();
    b.x.dispose();
    opt.dispose();
    model.dispose();
  }
}

/** The step in PyTorch on the CPU, in a child process, when python3 can import torch. */
function torchStep(batch: number, reps: number): { ms?: number; firstMs?: number; threads?: number; version?: string; note: string } {
  const probe = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    console.log('train-step: PyTorch is not installed (python3 cannot import torch): no PyTorch CPU row');
    return { note: 'PyTorch not installed' };
  }
  const script = fileURLToPath(new URL('./peers/torch-train-step.py', import.meta.url));
  if (!existsSync(script)) return { note: `PyTorch installed, but ${script} is missing (run the bench from a checkout)` };
  const r = spawnSync('python3', [script, String(batch), String(reps)], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    console.warn(`train-step: the PyTorch step failed: ${(r.stderr || r.error?.message || '').trim()}`);
    return { note: 'PyTorch step failed (see stderr)' };
  }
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; firstMs: number; threads: number; version: string };
  return { ...out, note: '' };
}
