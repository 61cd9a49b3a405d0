// The adversarial training steps (src/robust/pgd-at.ts, trades.ts) against one step written by hand
// from methods.md §3.1–3.2 with the public attack and loss functions: same seed, same weights, bitwise.
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { crossEntropy, klDivergence } from '../src/nn/losses.js';
import { Mlp, TinySgd } from './helpers/models.js';

const { robust } = rl;
const weightsOf = (m: rl.nn.Module) => Promise.all(m.parameters().map(async (p) => Array.from(await p.data())));

/** Run `fn` on one batch of 8 examples of 8 features in [0, 1], 3 classes; the batch is freed after. */
async function withBatch(fn: (b: rl.data.Batch<Int32Array>) => Promise<void>): Promise<void> {
  const rng = new rl.Rng(31);
  const b = { x: rl.tensor(rng.fillUniform(64), [8, 8]), y: Int32Array.from({ length: 8 }, () => rng.int(3)), idx: Int32Array.from({ length: 8 }, (_, i) => i) };
  try {
    await fn(b);
  } finally {
    b.x.dispose();
  }
}

/**
 * One SGD step by hand: the inner attack from `inner` (seeded as a run with seed 4 seeds its first
 * attack), then the outer loss on the model's logits; returns the weights after the step.
 */
async function byHand(b: rl.data.Batch<Int32Array>, inner: (m: Mlp) => rl.robust.PgdOptions, outer: (m: Mlp, xAdv: rl.Tensor) => rl.Tensor): Promise<number[][]> {
  const m = new Mlp(8, 6, 3, 21);
  const adv = rl.tidy(() => robust.pgdTensors(m, b.x, b.y, robust.resolvePgd('test', b.x, b.y, { ...inner(m), seed: new rl.Rng(4), trackSteps: false })).x);
  const { value, grads } = rl.valueAndGrad(() => outer(m, adv), m.parameters());
  new TinySgd(0.2).step(m.parameters(), grads);
  for (const t of [value, adv, ...grads]) t.dispose();
  const w = await weightsOf(m);
  m.dispose();
  return w;
}

async function byRecipe(b: rl.data.Batch<Int32Array>, recipe: rl.robust.Recipe): Promise<number[][]> {
  const m = new Mlp(8, 6, 3, 21);
  (await robust.trainRobust(m, new TinySgd(0.2), { train: [b] }, recipe, { epochs: 1, seed: 4 })).dispose();
  const w = await weightsOf(m);
  m.dispose();
  return w;
}

describe('adversarial training steps, one step against methods.md', () => {
  it('TRADES (§3.2): KL ascent from x + 0.001·N(0, I) against the eval-mode p(x), then CE + β·KL/B', () =>
    withBatch(async (b) => {
      const attack = { eps: 0.1, steps: 3, alpha: 0.04 };
      const want = await byHand(b, (m) => {
        const pc = rl.noGrad(() => m.forward(b.x));
        return { ...attack, start: 'normal', loss: (z) => rl.tidy(() => klDivergence(pc, z, 'none')) };
      }, (m, xAdv) => robust.tradesLoss(m.forward(b.x), m.forward(xAdv), b.y, 6));
      expect(await byRecipe(b, { kind: 'trades', beta: 6, attack })).toEqual(want);
      expect(await byRecipe(b, { kind: 'trades', beta: 1, attack })).not.toEqual(want); // β matters: the check can fail
    }));

  it('fast FGSM (Wong et al.): a uniform start in the ε-box, one sign step of 1.25·ε, CE on the result', () =>
    withBatch(async (b) => {
      const eps = 0.1;
      const want = await byHand(b, () => ({ eps, steps: 1, alpha: 1.25 * eps, start: 'uniform', norm: 'linf' }), (m, xAdv) => crossEntropy(m.forward(xAdv), b.y));
      expect(await byRecipe(b, { kind: 'fast-fgsm', eps })).toEqual(want);
      expect(await byRecipe(b, { kind: 'fast-fgsm', eps, alpha: eps })).not.toEqual(want);
    }));

  it('PGD-AT (§3.1), L∞: CE on the PGD iterate from the uniform start', () =>
    withBatch(async (b) => {
      const attack = { eps: 0.1, steps: 3, alpha: 0.04 };
      const want = await byHand(b, () => ({ ...attack, start: 'uniform' }), (m, xAdv) => crossEntropy(m.forward(xAdv), b.y));
      expect(await byRecipe(b, { kind: 'pgd-at', attack })).toEqual(want);
      expect(await byRecipe(b, { kind: 'pgd-at', attack: { ...attack, steps: 2 } })).not.toEqual(want);
    }));

  it('PGD-AT (§3.1), L2: the attack starts from PGD\'s own L2 start (madry), not the L∞ box (issue 16)', () =>
    withBatch(async (b) => {
      const attack = { eps: 0.5, steps: 2, alpha: 0.3, norm: 'l2' as const };
      const ce = (m: Mlp, xAdv: rl.Tensor) => crossEntropy(m.forward(xAdv), b.y);
      const want = await byHand(b, () => attack, ce); // pgd's default start for the norm
      expect(await byRecipe(b, { kind: 'pgd-at', attack })).toEqual(want);
      expect(await byHand(b, () => ({ ...attack, start: 'uniform' }), ce)).not.toEqual(want); // the start matters: the check can fail
    }));
});
