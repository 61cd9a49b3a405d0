// The one training loop (src/train/pass.ts, fit.ts) with steps written here: what it calls when,
// what it sums on the device, what it keeps, and what it frees when a step fails.
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import type { Batch } from '../src/data/dataset.js';
import { crossEntropy } from '../src/nn/losses.js';
import { countArgmaxCorrect, countCorrect } from '../src/train/correct.js';
import { fit } from '../src/train/fit.js';
import { runPass } from '../src/train/pass.js';
import { standardStep } from '../src/train/standard.js';
import type { TrainStep } from '../src/train/step.js';
import { Mlp, TinySgd } from './helpers/models.js';

/** Batches of 8 features in [0, 1] with host labels in [0, 3) and dataset indices; sizes as given. */
function batches(sizes: number[], seed: number): Batch<Int32Array>[] {
  const rng = new rl.Rng(seed);
  let at = 0;
  return sizes.map((B) => {
    const b = { x: rl.tensor(rng.fillUniform(B * 8), [B, 8]), y: Int32Array.from({ length: B }, () => rng.int(3)), idx: Int32Array.from({ length: B }, (_, i) => at + i) };
    at += B;
    return b;
  });
}

const weightsOf = (m: rl.nn.Module) => Promise.all(m.parameters().map(async (p) => Array.from(await p.data())));
const free = (bs: Batch[]) => bs.forEach((b) => b.x.dispose());

/** A step that records its calls; its prepared value is a tensor (x·2) the loss uses and release frees. */
function recordingStep(calls: string[], failAt = -1): TrainStep<Batch<Int32Array>, rl.Tensor> {
  return {
    prepare: (b, ctx) => (calls.push(`prepare ${ctx.epoch}.${ctx.index}`), rl.tidy(() => rl.mul(b.x, 2))),
    loss(b, x2, ctx) {
      calls.push(`loss ${ctx.epoch}.${ctx.index} ${ctx.model.training ? 'train' : 'eval'}`);
      const z = ctx.model.forward(x2);
      ctx.tally('correct', countArgmaxCorrect(z, b.y));
      if (ctx.index === failAt) throw new rl.ValueError(`step ${failAt} fails`); // after handing over a count
      return crossEntropy(z, b.y);
    },
    release: (x2) => (calls.push('release'), x2.dispose()),
  };
}

describe('one pass (runPass)', () => {
  it('prepares, takes the loss in training mode, updates, releases, in that order per step', async () => {
    const model = new Mlp(8, 5, 3, 1);
    const data = batches([4, 3], 2);
    const calls: string[] = [];
    const before = await weightsOf(model);
    model.eval();
    const m = await runPass(model, data, recordingStep(calls), { optimizer: new TinySgd(0.1), epoch: 3, quiet: true });
    expect(calls).toEqual(['prepare 3.0', 'loss 3.0 train', 'release', 'prepare 3.1', 'loss 3.1 train', 'release']);
    expect(model.training).toBe(true);
    expect(await weightsOf(model)).not.toEqual(before);
    expect([m.steps, m.samples, m.robustAccuracy, m.gradSqNorm]).toEqual([2, 7, null, null]);
    free(data);
    model.dispose();
  });

  it('without an optimizer evaluates: eval mode, no update, the previous mode restored', async () => {
    const model = new Mlp(8, 5, 3, 1);
    const data = batches([4, 3], 2);
    const calls: string[] = [];
    const before = await weightsOf(model);
    const m = await runPass(model, data, recordingStep(calls), { quiet: true });
    expect(calls.filter((c) => c.startsWith('loss'))).toEqual(['loss 1.0 eval', 'loss 1.1 eval']);
    expect(await weightsOf(model)).toEqual(before);
    expect(model.training).toBe(true);
    expect(Number.isFinite(m.loss)).toBe(true);
    free(data);
    model.dispose();
  });

  it('a step that fails is released, its counts and the running sums freed, and the error passes through', async () => {
    const model = new Mlp(8, 5, 3, 1);
    const data = batches([4, 3, 2], 2);
    const calls: string[] = [];
    await expect(runPass(model, data, recordingStep(calls, 1), { optimizer: new TinySgd(0.1), quiet: true })).rejects.toThrow(/step 1 fails/);
    expect(calls.slice(-2)).toEqual(['loss 1.1 train', 'release']);
    free(data); // the leak check after this test covers the loop's own tensors
    model.dispose();
  });

  it('sums the loss per example or per batch and Σ‖∂L/∂θ‖² per step on the device, as computed by hand', async () => {
    const data = batches([5, 2, 4], 3);
    const model = new Mlp(8, 5, 3, 4);
    const byHand = data.map((b) => {
      const { value, grads } = rl.valueAndGrad(() => crossEntropy(model.forward(b.x), b.y), model.parameters());
      const sq = rl.tidy(() => grads.map((g) => rl.sum(rl.square(g))).reduce((a, c) => rl.add(a, c)));
      grads.forEach((g) => g.dispose());
      return { value, sq };
    });
    const [losses, sqs] = [await Promise.all(byHand.map((h) => h.value.item())), await Promise.all(byHand.map((h) => h.sq.item()))];
    byHand.forEach((h) => (h.value.dispose(), h.sq.dispose()));
    const step = standardStep({ count: 'argmax' });
    const frozen = new TinySgd(0); // lr 0: every step sees the same weights
    const perExample = await runPass(model, data, step, { optimizer: frozen, trackGradNorm: true, quiet: true });
    const perBatch = await runPass(model, data, step, { optimizer: frozen, lossMean: 'batch', quiet: true });
    expect(perExample.loss).toBeCloseTo((5 * losses[0]! + 2 * losses[1]! + 4 * losses[2]!) / 11, 5);
    expect(perBatch.loss).toBeCloseTo((losses[0]! + losses[1]! + losses[2]!) / 3, 5);
    expect(perExample.gradSqNorm!).toBeCloseTo((sqs[0]! + sqs[1]! + sqs[2]!) / 3, 5);
    expect(perBatch.gradSqNorm).toBeNull();
    free(data);
    model.dispose();
  });

  it('sets a per-step learning rate, calls onStep with each step\'s loss, and disposes batches when asked', async () => {
    const model = new Mlp(8, 5, 3, 4);
    const data = batches([3, 3, 3], 5);
    const opt = new TinySgd(1);
    const seen: number[] = [];
    const stepLoss: number[] = [];
    await runPass(model, data, standardStep(), {
      optimizer: opt, quiet: true, firstStep: 7, lrAt: (t) => (seen.push(t), 0.1 / t), disposeBatches: true,
      onStep: async ({ index, loss }) => void stepLoss.push(index, Number.isFinite(await loss.item()) ? 1 : 0),
    });
    expect(seen).toEqual([7, 8, 9]);
    expect(opt.lr).toBeCloseTo(0.1 / 9, 12);
    expect(stepLoss).toEqual([0, 1, 1, 1, 2, 1]);
    expect(() => data[0]!.x.shape && data[0]!.x.backend).toThrow(/after dispose/);
    model.dispose();
  });
});

describe('epochs (fit)', () => {
  it('keeps the last and the best state by rank, checkpoints in order, and counts steps across epochs', async () => {
    const model = new Mlp(8, 5, 3, 6);
    const data = batches([4, 4], 7);
    const opt = new TinySgd(0.1);
    const scores = [0.5, 0.7, 0.7, 0.6]; // epoch 2 is best; epoch 3 ties it, which is not better
    const events: string[] = [];
    const lrSteps: number[] = [];
    const lastWeights: number[][][] = [];
    const res = await fit(model, opt, () => data, standardStep(), {
      epochs: 4, quiet: true, lr: (e) => 0.1 * e, lrAt: (t) => (lrSteps.push(t), opt.lr),
      summarize: ({ epoch, lr, train }) => ({ epoch, lr, score: scores[epoch - 1]!, steps: train.steps }),
      rank: (l) => [l.score],
      onEpoch: (l) => void events.push(`epoch ${l.epoch}`),
      onCheckpoint: async (kind, epoch, state) => {
        events.push(`${kind} ${epoch}`);
        if (kind === 'last') lastWeights.push(await Promise.all(state.map(async ([, t]) => Array.from(await t.data()))));
      },
    });
    expect(events).toEqual(['epoch 1', 'last 1', 'best 1', 'epoch 2', 'last 2', 'best 2', 'epoch 3', 'last 3', 'epoch 4', 'last 4']);
    expect(res.log.map((l) => [l.lr, l.steps])).toEqual([1, 2, 3, 4].map((e) => [0.1 * e, 2]));
    expect(lrSteps).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(res.best!.epoch).toBe(2);
    expect(res.last!.epoch).toBe(4);
    expect(lastWeights[3]).toEqual(await weightsOf(model));
    expect(await Promise.all(res.best!.state.map(async ([, t]) => Array.from(await t.data())))).toEqual(lastWeights[1]);
    res.dispose();
    free(data);
    model.dispose();
  });

  it('refuses a bad epoch count and an epoch without batches, and frees its snapshots when a run fails', async () => {
    const model = new Mlp(8, 5, 3, 6);
    const data = batches([4], 7);
    const summarize = ({ epoch }: { epoch: number }) => ({ epoch });
    await expect(fit(model, new TinySgd(0.1), () => data, standardStep(), { name: 'myRun', epochs: 0, summarize })).rejects.toThrow(/myRun: epochs 0 must be an integer >= 1/);
    await expect(fit(model, new TinySgd(0.1), (e) => (e === 1 ? data : []), standardStep(), { epochs: 2, quiet: true, summarize, rank: () => [1] })).rejects.toThrow(/epoch 2 had no training batches/);
    free(data);
    model.dispose();
  });
});

describe('correct counts', () => {
  it('differ only on exact ties: countCorrect counts a tie for the maximum, countArgmaxCorrect the first maximum', async () => {
    const z = rl.tensor([1, 1, 0, 0, 2, 2, 3, 0, 1], [3, 3]);
    const y = rl.tensor([1, 2, 0], [3], { dtype: 'int32' });
    const [ties, first] = [countCorrect(z, y), countArgmaxCorrect(z, y)];
    expect([await ties.item(), await first.item()]).toEqual([3, 1]);
    for (const t of [z, y, ties, first]) t.dispose();
  });
});
