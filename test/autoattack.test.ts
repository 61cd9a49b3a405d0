import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { Module } from '../src/nn/module.js';
import { randomValues } from './helpers/oracle.js';
import { TwoLayer, distances, predictedBatch, predictions } from './helpers/attack-models.js';

const { robust } = rl;

/** A 6-class model on 1×6×5 images, a batch it mostly gets right and two labels it gets wrong. */
async function setup(be: rl.Backend<any>, n: number, seed: number) {
  const model = new TwoLayer(30, 16, 6, seed, be);
  const batch = await predictedBatch(model, [n, 1, 6, 5], seed + 1, be);
  batch.y[0] = (batch.y[0]! + 1) % 6;
  batch.y[3] = (batch.y[3]! + 2) % 6;
  return { model, ...batch };
}

const robustOf = (r: { success: Uint8Array; cleanCorrect: Uint8Array }) => Array.from(r.success, (s, i) => (r.cleanCorrect[i] && !s ? 1 : 0));

describe('autoAttack', () => {
  for (const [name, be] of [['cpu', rl.cpu], ['webgpu', rl.getBackend()]] as const) {
    it(`per example never weaker than any of its parts: robust exactly where every part fails (${name})`, async () => {
      const { model, x, y, values } = await setup(be, 12, 71);
      const common = { eps: 0.25, seed: 2 };
      const progress: string[] = [];
      const aa = await robust.autoAttack(model, x, y, { ...common, steps: 10, nQueries: 60, onProgress: (p) => progress.push(`${p.attack} ${p.stage}`) });
      const parts = [
        await robust.apgd(model, x, y, { ...common, steps: 10, loss: 'ce' }),
        await robust.apgd(model, x, y, { ...common, steps: 10, loss: 'dlr-targeted' }),
        await robust.square(model, x, y, { ...common, nQueries: 60 }),
      ];
      const partRobust = parts.map(robustOf);
      for (let i = 0; i < 12; i++) {
        const every = partRobust.every((r) => r[i] === 1) ? 1 : 0;
        expect(aa.examples.robust[i], `example ${i}`).toBe(every);
      }
      expect(aa.stages.map((s) => s.attack)).toEqual(['apgd-ce', 'apgd-t', 'square']);
      // Not vacuous: the parts disagree, and more than one stage adds to the ensemble.
      expect(new Set(partRobust.map((r) => r.join(''))).size).toBe(3);
      expect(aa.stages.filter((s) => s.broken > 0).length).toBeGreaterThanOrEqual(2);
      expect(aa.robustAccuracy).toBeGreaterThan(0);
      // Bookkeeping: each stage ran on what the previous left; accuracies only fall.
      const clean = aa.examples.cleanCorrect.reduce((s, v) => s + v, 0);
      expect(aa.cleanAccuracy).toBe(clean / 12);
      let left = clean;
      aa.stages.forEach((s, k) => {
        expect(s.attacked, s.attack).toBe(left);
        left -= s.broken;
        expect(s.robustAccuracy).toBe(left / 12);
        expect(aa.examples.brokenBy.filter((b) => b === k).length).toBe(s.broken);
        expect(s.seconds).toBeGreaterThan(0);
      });
      expect(aa.robustAccuracy).toBe(left / 12);
      expect(progress).toContain('apgd-t target 5/5, restart 1/1');
      // The examples: misclassified where broken, the clean input elsewhere, inside the ball.
      const adv = Array.from(await aa.x.data());
      const pred = await predictions(model, aa.x);
      const dist = distances(adv, values, 30);
      for (let i = 0; i < 12; i++) {
        expect(pred[i] === y[i], `example ${i} classified correctly iff robust`).toBe(aa.examples.robust[i] === 1);
        expect(dist.linf[i]!).toBeLessThanOrEqual(0.25 + 1e-6);
        if (aa.examples.brokenBy[i] === -1) expect(dist.linf[i], `example ${i} left clean`).toBe(0);
      }
      for (const t of [aa.x, x, ...parts.map((p) => p.x)]) t.dispose();
      model.dispose();
    });
  }

  it('runs a custom list in order; an attack with nothing left to attack is skipped', async () => {
    const { model, x, y } = await setup(rl.getBackend(), 6, 81);
    const aa = await robust.autoAttack(model, x, y, { eps: 0.5, attacks: ['apgd-dlr', 'apgd-ce'], steps: 5 });
    expect(aa.stages.map((s) => [s.attack, s.attacked])).toEqual([['apgd-dlr', 4], ['apgd-ce', 0]]);
    expect(aa.robustAccuracy).toBe(0);
    aa.x.dispose();
    x.dispose();
    model.dispose();
  });

  it('L2, and ε = 0 (robust accuracy is clean accuracy, no NaN anywhere)', async () => {
    const { model, x, y, values } = await setup(rl.getBackend(), 8, 85);
    const l2 = await robust.autoAttack(model, x, y, { eps: 0.8, norm: 'l2', steps: 6, nQueries: 25, targets: 2 });
    const dist = distances(await l2.x.data(), values, 30);
    dist.l2.forEach((d) => expect(d).toBeLessThanOrEqual(0.8 + 1e-5));
    expect(l2.robustAccuracy).toBeLessThan(l2.cleanAccuracy);
    for (const norm of ['linf', 'l2'] as const) {
      const none = await robust.autoAttack(model, x, y, { eps: 0, norm, steps: 4, nQueries: 10, targets: 2 });
      expect(none.robustAccuracy).toBe(none.cleanAccuracy);
      expect(Array.from(none.examples.robust)).toEqual(Array.from(none.examples.cleanCorrect));
      none.x.dispose();
    }
    l2.x.dispose();
    x.dispose();
    model.dispose();
  });

  it('checks every argument before any GPU work, with clear errors', async () => {
    const { model, x, y } = await setup(rl.getBackend(), 3, 91);
    model.modes.length = 0;
    const aa = (o: Partial<rl.robust.AutoAttackOptions>, xx: rl.Tensor = x, yy: ArrayLike<number> = y) => robust.autoAttack(model, xx, yy, { eps: 0.1, ...o });
    await expect(aa({ eps: -0.01 })).rejects.toThrow(/autoAttack: eps -0.01 must be a finite number >= 0/);
    await expect(aa({ norm: 'l1' as rl.robust.Norm })).rejects.toThrow(/norm 'l1' must be 'linf' or 'l2'/);
    await expect(aa({ version: 'rand' as 'standard' })).rejects.toThrow(/version 'rand' must be one of standard, plus/);
    await expect(aa({ attacks: ['apgd-ce', 'fab-t' as rl.robust.AutoAttackName] })).rejects.toThrow(/unknown attack 'fab-t'.*FAB-T is not implemented/);
    await expect(aa({ attacks: ['square', 'square'] })).rejects.toThrow(/lists one twice/);
    await expect(aa({ steps: 0 })).rejects.toThrow(/steps 0 must be an integer >= 1/);
    await expect(aa({ nQueries: -5 })).rejects.toThrow(/nQueries -5 must be an integer >= 1/);
    await expect(aa({}, x, [0, 1])).rejects.toThrow(/2 labels for a batch of 3/);
    await expect(aa({ numClasses: 6 }, x, [0, 6, 1])).rejects.toThrow(/label 6 at index 1 is outside \[0, 6\)/);
    await expect(aa({ numClasses: 3 })).rejects.toThrow(/autoAttack \(apgd-t\): the targeted DLR loss needs at least 4 classes .* the model has 3/);
    const flat = rl.tensor(randomValues([3, 30], 2, 0, 1), [3, 30]);
    await expect(aa({}, flat)).rejects.toThrow(/Square needs images \[B, C, H, W\], got \[3, 30\]/);
    expect(model.modes, 'the model never ran').toEqual([]);
    const bright = rl.tensor(randomValues([3, 1, 6, 5], 2, 0.5, 1.2), [3, 1, 6, 5]);
    await expect(aa({}, bright)).rejects.toThrow(/autoAttack: inputs must lie in \[0, 1\]/);
    const wrongSize = rl.tensor(randomValues([3, 1, 5, 5], 2, 0, 1), [3, 1, 5, 5]);
    await expect(aa({}, wrongSize)).rejects.toThrow(/autoAttack: the model does not accept a batch of shape \[3, 1, 5, 5\]/);
    await expect(aa({}, x, [0, 9, 1])).rejects.toThrow(/label 9 at index 1 is outside \[0, 6\)/);
    const three = new TwoLayer(30, 8, 3, 92);
    await expect(robust.autoAttack(three, x, [0, 1, 2], { eps: 0.1 })).rejects.toThrow(/targeted DLR loss needs at least 4 classes .* the model has 3; use loss 'ce'/);
    for (const t of [x, flat, bright, wrongSize]) t.dispose();
    model.dispose();
    three.dispose();
  });
});

/**
 * Shattered gradients (Athalye et al. 2018): z = V·sign(x − 0.5) + W·relu(x − 2). The output moves
 * only when a pixel crosses 0.5, and the input gradient is exactly 0 everywhere.
 */
class Staircase extends Module {
  constructor(readonly v: rl.Tensor, readonly w: rl.Tensor) {
    super();
  }
  protected override ownParameters(): [string, rl.Tensor][] {
    return [['v', this.v], ['w', this.w]];
  }
  forward(x: rl.Tensor): rl.Tensor {
    return rl.tidy(() => {
      const flat = rl.reshape(x, [x.shape[0]!, -1]);
      return rl.add(rl.matmulT(rl.sign(rl.sub(flat, 0.5)), this.v, false, true), rl.matmulT(rl.relu(rl.sub(flat, 2)), this.w, false, true));
    });
  }
}

describe('gradient-masking checks', () => {
  it('pass on a plain network', async () => {
    const model = new TwoLayer(30, 16, 4, 101);
    const { x, y } = await predictedBatch(model, [16, 1, 6, 5], 102);
    const settings = { eps: 0.06, steps: 10, nQueries: 100, seed: 1 };
    const aa = await robust.autoAttack(model, x, y, settings);
    aa.x.dispose();
    const checks = await robust.gradientMaskingChecks(model, x, y, { ...settings, autoAttack: aa });
    expect(checks.map((c) => c.name)).toEqual(['accuracy-falls-with-eps', 'iterative-beats-single-step', 'white-box-beats-black-box', 'more-effort-changes-little']);
    for (const c of checks) {
      expect(c.status, `${c.name}: ${c.explanation} ${JSON.stringify(c.numbers)}`).toBe('pass');
      expect(Object.values(c.numbers).every(Number.isFinite)).toBe(true);
    }
    const n = Object.fromEntries(checks.map((c) => [c.name, c.numbers]));
    expect(n['accuracy-falls-with-eps']!.robustAccuracy).toBe(aa.stages[0]!.robustAccuracy);
    expect(n['white-box-beats-black-box']!.afterSquare).toBe(aa.robustAccuracy);
    x.dispose();
    model.dispose();
  });

  it('flag a model whose gradients are shattered', async () => {
    const rng = new rl.Rng(5);
    const model = new Staircase(rl.tensor(rng.fillNormal(4 * 30, 0, 0.5), [4, 30]), rl.tensor(rng.fillNormal(4 * 30), [4, 30]));
    const { x, y } = await predictedBatch(model, [16, 1, 6, 5], 112);
    const checks = await robust.gradientMaskingChecks(model, x, y, { eps: 0.1, steps: 10, nQueries: 200, seed: 1 });
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    const wb = byName['white-box-beats-black-box']!;
    expect(wb.status, JSON.stringify(wb.numbers)).toBe('flag');
    expect(wb.explanation).toMatch(/Square, which never sees a gradient, broke/);
    expect(byName['accuracy-falls-with-eps']!.status, JSON.stringify(byName['accuracy-falls-with-eps']!.numbers)).toBe('flag');
    x.dispose();
    model.dispose();
  });
});
