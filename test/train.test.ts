import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { Flatten, Linear, ReLU, Sequential } from '../src/nn/layers.js';
import { cnnSmall, resnetSmall } from '../src/nn/models.js';
import { SGD, Adam } from '../src/optim/index.js';
import type { Batch } from '../src/data/dataset.js';
import { evaluate, trainEpoch } from '../src/train/loop.js';
import { ProgressBar } from '../src/train/progress.js';

/** A fixed tiny batch: 16 examples of 12 features, 4 classes (seeded). */
function tinyBatch(): Batch {
  const rng = new rl.Rng(5);
  const x = rl.tensor(rng.fillNormal(16 * 12), [16, 12]);
  const y = Int32Array.from({ length: 16 }, (_, i) => i % 4);
  return { x, y };
}

describe('training loop', () => {
  it('a tiny MLP overfits a tiny batch: loss falls by 10x', async () => {
    const model = new Sequential(new Flatten(), new Linear(12, 32, { seed: 1 }), new ReLU(), new Linear(32, 4, { seed: 2 }));
    const opt = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
    const batch = tinyBatch();
    const first = await evaluate(model, [batch], { keepBatches: true, quiet: true });
    let last = first;
    const logged: number[] = [];
    for (let epoch = 0; epoch < 60; epoch++) {
      last = await trainEpoch(model, opt, [batch, batch], undefined, { keepBatches: true, quiet: true, logEvery: 2, onLog: (m) => logged.push(m.loss) });
    }
    const final = await evaluate(model, [batch], { keepBatches: true, quiet: true });
    expect(first.loss).toBeGreaterThan(1);
    expect(final.loss).toBeLessThan(first.loss / 10);
    expect(final.accuracy).toBe(1);
    expect(last.samples).toBe(32);
    expect(last.steps).toBe(2);
    expect(logged.length).toBe(60);
    expect(model.training).toBe(true);
    batch.x.dispose();
    opt.dispose();
    model.dispose();
  });

  it('cnn-small overfits a tiny batch of 28×28 images: loss falls by 10x', async () => {
    const model = cnnSmall({ seed: 11 });
    const opt = new Adam(model.namedParameters(), { lr: 2e-3 });
    const rng = new rl.Rng(12);
    const batch: Batch = { x: rl.tensor(rng.fillUniform(8 * 784), [8, 1, 28, 28]), y: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
    const first = await evaluate(model, [batch], { keepBatches: true, quiet: true });
    const steps = Array.from({ length: 30 }, () => batch);
    await trainEpoch(model, opt, steps, undefined, { keepBatches: true, quiet: true, logEvery: 10 });
    const final = await evaluate(model, [batch], { keepBatches: true, quiet: true });
    expect(final.loss).toBeLessThan(first.loss / 10);
    expect(final.accuracy).toBe(1);
    batch.x.dispose();
    opt.dispose();
    model.dispose();
  });

  it('a small ResNet (batch norm in training mode) overfits a tiny batch', async () => {
    const model = resnetSmall({ seed: 13, blocks: [1, 1] });
    const opt = new SGD(model.namedParameters(), { lr: 0.05, momentum: 0.9 });
    const rng = new rl.Rng(14);
    const batch: Batch = { x: rl.tensor(rng.fillUniform(6 * 144), [6, 1, 12, 12]), y: Int32Array.from([0, 1, 2, 3, 4, 5]) };
    const first = await evaluate(model, [batch], { keepBatches: true, quiet: true });
    await trainEpoch(model, opt, Array.from({ length: 40 }, () => batch), undefined, { keepBatches: true, quiet: true, logEvery: 10 });
    // Train-mode statistics: the running statistics lag behind 40 steps of weight changes.
    const trainMode = await trainEpoch(model, new SGD(model.parameters(), { lr: 0 }), [batch], undefined, { keepBatches: true, quiet: true });
    expect(trainMode.loss).toBeLessThan(first.loss / 10);
    batch.x.dispose();
    opt.dispose();
    model.dispose();
  });

  it('matches the CPU oracle step for step (Adam, clipping, int32 label tensors, async source)', async () => {
    const run = async (backend: rl.Backend<any>) => {
      const model = new Sequential(new Linear(12, 7, { seed: 3, backend }), new ReLU(), new Linear(7, 4, { seed: 4, backend }));
      const opt = new Adam(model.namedParameters(), { lr: 0.01 });
      const rng = new rl.Rng(9);
      async function* source(): AsyncGenerator<Batch> {
        for (let i = 0; i < 3; i++) {
          const x = rl.tensor(rng.fillNormal(5 * 12), [5, 12], { backend });
          const y = rl.tensor([0, 1, 2, 3, i % 4], [5], { dtype: 'int32', backend });
          yield { x, y };
        }
      }
      const m = await trainEpoch(model, opt, source(), undefined, { quiet: true, clipNorm: 0.5 });
      const w = Array.from(await model.parameters()[0]!.data());
      model.dispose();
      opt.dispose();
      return { m, w };
    };
    const gpu = await run(rl.getBackend());
    const cpu = await run(rl.cpu);
    expect(gpu.m.loss).toBeCloseTo(cpu.m.loss, 4);
    expect(gpu.m.accuracy).toBe(cpu.m.accuracy);
    gpu.w.forEach((v, i) => expect(v).toBeCloseTo(cpu.w[i]!, 4));
  });

  it('reads back nothing per step: submits only when the dispatch batch fills or a log is due', async () => {
    const rt = (await rl.init()).runtime!;
    const model = new Sequential(new Linear(12, 16, { seed: 1 }), new ReLU(), new Linear(16, 4, { seed: 2 }));
    const opt = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
    const batch = tinyBatch();
    await rt.sync();
    const [s0, d0] = [rt.submits, rt.dispatches];
    const m = await trainEpoch(model, opt, Array.from({ length: 20 }, () => batch), undefined, { keepBatches: true, quiet: true, logEvery: 1000 });
    const submits = rt.submits - s0;
    const perStep = (rt.dispatches - d0) / 20;
    // One final readback plus one submit per full batch of dispatches; never one per step.
    expect(m.steps).toBe(20);
    expect(perStep).toBeGreaterThan(10);
    expect(submits).toBeLessThanOrEqual(Math.ceil((20 * perStep) / rt.maxBatch) + 1);
    expect(submits).toBeLessThan(20);
    batch.x.dispose();
    opt.dispose();
    model.dispose();
  });

  it('applies a per-step schedule and draws a progress bar only on a terminal', async () => {
    const model = new Sequential(new Linear(12, 4, { seed: 1 }));
    const opt = new SGD(model.parameters(), { lr: 1 });
    const batch = tinyBatch();
    const seen: number[] = [];
    await trainEpoch(model, opt, [batch, batch, batch], undefined, { keepBatches: true, quiet: true, firstStep: 10, lrAt: (t) => (seen.push(t), 0.1 / t) });
    expect(seen).toEqual([10, 11, 12]);
    expect(opt.lr).toBeCloseTo(0.1 / 12);
    const written: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (s: string) => written.push(s) };
    const bar = new ProgressBar('epoch 1/3', 10, { stream: tty });
    bar.update(5, 'loss 0.5', true);
    bar.end();
    expect(written[0]).toMatch(/^\repoch 1\/3 \[#{12}\.{12}\] 5\/10 loss 0\.5/);
    expect(written[1]).toBe('\r\x1b[K');
    const quiet = new ProgressBar('x', 10, { stream: tty, quiet: true });
    quiet.update(1, '', true);
    expect(quiet.active).toBe(false);
    expect(written.length).toBe(2);
    batch.x.dispose();
    opt.dispose();
    model.dispose();
  });

  it('rejects a batch whose labels do not match', async () => {
    const model = new Sequential(new Linear(3, 2));
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const x = rl.zeros([4, 3]);
    await expect(trainEpoch(model, opt, [{ x, y: new Int32Array(3) }], undefined, { quiet: true, keepBatches: true })).rejects.toThrow(/4 inputs \[4, 3\] but 3 labels/);
    x.dispose();
    opt.dispose();
    model.dispose();
  });
});
