// evaluateRobustness (issue 15 items 4–5): any attack or the AutoAttack ensemble over batches, with
// the gradient-masking checks judged once on all the examples. On the float64 CPU backend (the unit
// tier never starts WebGPU): batching must not change any per-example result or any masking number,
// and bad input fails before the model runs.
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { TwoLayer, predictedBatch } from './helpers/attack-models.js';

const { robust } = rl;

/** A 6-class model on 1×6×5 images and a batch of n it mostly gets right (two labels wrong). */
async function setup(n: number, seed: number) {
  const model = new TwoLayer(30, 16, 6, seed);
  const batch = await predictedBatch(model, [n, 1, 6, 5], seed + 1);
  batch.y[0] = (batch.y[0]! + 1) % 6;
  batch.y[3] = (batch.y[3]! + 2) % 6;
  return { model, ...batch };
}

/** The batch cut into pieces of the given sizes, each with its dataset indices. */
function pieces(x: rl.Tensor, y: Int32Array, sizes: number[]): { x: rl.Tensor; y: Int32Array; idx: Int32Array }[] {
  let at = 0;
  return sizes.map((k) => {
    const idx = Int32Array.from({ length: k }, (_, i) => at + i);
    const b = { x: rl.tidy(() => rl.slice(x, [at, 0, 0, 0], [at + k, 1, 6, 5])), y: y.slice(at, at + k), idx };
    at += k;
    return b;
  });
}

const settings = { eps: 0.25, steps: 10, nQueries: 60, seed: 2 };

describe('evaluateRobustness', () => {
  it('AutoAttack over batches: the same examples robust, the same stage counts and the same masking numbers as on the whole set', async () => {
    const { model, x, y } = await setup(12, 71);
    const parts = pieces(x, y, [5, 7]);
    const progress: string[] = [];
    const r = await robust.evaluateRobustness(model, parts, { attack: 'autoattack', ...settings, onProgress: (p) => progress.push(`${p.batch} ${p.attack} ${p.stage}`) });
    const whole = await robust.autoAttack(model, x, y, settings);
    whole.x.dispose();
    expect(Array.from(r.examples.robust)).toEqual(Array.from(whole.examples.robust));
    expect(Array.from(r.examples.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect([r.n, r.cleanAccuracy, r.robustAccuracy]).toEqual([12, whole.cleanAccuracy, whole.robustAccuracy]);
    expect(r.attacks.map((a) => [a.attack, a.attacked, a.broken, a.robustAccuracy])).toEqual(whole.stages.map((s) => [s.attack, s.attacked, s.broken, s.robustAccuracy]));
    // Not vacuous: some attack broke something and something is left.
    expect(r.attacks.some((a) => a.broken > 0)).toBe(true);
    expect(r.robustAccuracy).toBeGreaterThan(0);
    // The masking checks of the two batches, added up, are those of the whole set.
    const checks = await robust.gradientMaskingChecks(model, x, y, { ...settings, autoAttack: whole });
    expect(r.masking).toEqual(checks);
    expect(r.masking!.map((c) => c.status).every((s) => s === 'pass' || s === 'flag')).toBe(true);
    expect(r.seconds.attack).toBeGreaterThan(0);
    expect(r.seconds.masking).toBeGreaterThan(0);
    expect(progress).toContain('1 autoattack batch done');
    expect(progress.some((p) => p.startsWith('0 masking apgd-ce'))).toBe(true);
    for (const b of parts) b.x.dispose();
    x.dispose();
    model.dispose();
  }, 120_000);

  it.each(['apgd-ce', 'apgd-dlr', 'apgd-t', 'square', 'pgd', 'fgsm'] as const)('%s: one row whose robust accuracy is the worst case, equal to the attack on the whole set', async (attack) => {
    const { model, x, y } = await setup(10, 81);
    const parts = pieces(x, y, [4, 6]);
    const r = await robust.evaluateRobustness(model, parts, { attack, eps: 0.2, steps: attack === 'fgsm' ? undefined : 10, nQueries: attack === 'square' ? 60 : undefined, seed: 3, masking: false });
    expect(r.attacks.map((a) => a.attack)).toEqual([attack]);
    expect(r.attacks[0]!.robustAccuracy).toBe(r.robustAccuracy);
    expect(r.attacks[0]!.attacked).toBe(r.examples.cleanCorrect.reduce((s, v) => s + v, 0));
    expect([r.masking, r.maskingSkipped]).toEqual([null, 'turned off']);
    expect(r.robustAccuracy).toBeLessThanOrEqual(r.cleanAccuracy);
    if (attack !== 'pgd' && attack !== 'fgsm') {
      // Example streams are named by dataset index: batching changes nothing.
      const one = { eps: 0.2, seed: 3 };
      const whole = attack === 'square'
        ? await robust.square(model, x, y, { ...one, nQueries: 60 })
        : await robust.apgd(model, x, y, { ...one, steps: 10, loss: attack === 'apgd-ce' ? 'ce' : attack === 'apgd-dlr' ? 'dlr' : 'dlr-targeted' });
      whole.x.dispose();
      expect(Array.from(r.examples.robust)).toEqual(Array.from(whole.success, (s, i) => (whole.cleanCorrect[i] && !s ? 1 : 0)));
    }
    for (const b of parts) b.x.dispose();
    x.dispose();
    model.dispose();
  }, 120_000);

  it('ε = 0: robust accuracy is clean accuracy and the masking checks are skipped, saying why', async () => {
    const { model, x, y } = await setup(6, 91);
    const r = await robust.evaluateRobustness(model, [{ x, y }], { attack: 'apgd-ce', eps: 0, steps: 5 });
    expect(r.robustAccuracy).toBe(r.cleanAccuracy);
    expect(r.masking).toBeNull();
    expect(r.maskingSkipped).toMatch(/ε = 0/);
    x.dispose();
    model.dispose();
  });

  // [what, spec change, batch change, error]
  const BAD: [string, Partial<rl.robust.RobustnessSpec>, 'labels' | 'idx' | 'flat' | 'none', RegExp][] = [
    ['ε < 0', { eps: -0.1 }, 'none', /eps -0\.1 must be a finite number >= 0/],
    ['ε NaN', { eps: NaN }, 'none', /eps NaN must be a finite number >= 0/],
    ['an unknown attack', { attack: 'fab' as 'pgd' }, 'none', /attack 'fab' must be one of pgd, fgsm, apgd-ce, apgd-dlr, apgd-t, square, autoattack/],
    ['an unknown norm', { norm: 'l1' as 'l2' }, 'none', /norm 'l1' must be 'linf' or 'l2'/],
    ['FGSM in L2', { attack: 'fgsm', norm: 'l2' }, 'none', /FGSM is an L∞ attack; for L2 use 'pgd' with steps 1/],
    ['zero steps', { attack: 'apgd-ce', steps: 0 }, 'none', /steps 0 must be an integer >= 1/],
    ['PGD with zero steps', { attack: 'pgd', steps: 0 }, 'none', /steps 0 must be an integer >= 1/],
    ['a negative PGD step size', { attack: 'pgd', alpha: -1 }, 'none', /alpha -1 must be > 0/],
    ['zero Square queries', { attack: 'square', nQueries: 0 }, 'none', /nQueries 0 must be an integer >= 1/],
    ['APGD-T on 3 classes', { attack: 'apgd-t', numClasses: 3 }, 'none', /targeted DLR loss needs at least 4 classes .* the model has 3/],
    ['more targets than classes', { attack: 'autoattack', numClasses: 6, targets: 6 }, 'none', /6 target classes asked for, but a 6-class model has only 5/],
    ['a label out of range', { numClasses: 6 }, 'labels', /label 7 at index 1 is outside \[0, 6\)/],
    ['indices that do not match the batch', {}, 'idx', /batch 0 has 4 inputs but 3 indices/],
    ['a batch that is not images (Square)', { attack: 'square' }, 'flat', /Square needs images \[B, C, H, W\], got \[4, 30\]/],
  ];

  it.each(BAD)('%s: a clear error before the model runs', async (_, change, batch, message) => {
    const model = new TwoLayer(30, 8, 6, 5);
    const x = rl.tensor(new Float64Array(4 * 30).fill(0.5), [4, 1, 6, 5]);
    const flat = rl.tensor(new Float64Array(4 * 30).fill(0.5), [4, 30]);
    const y = Int32Array.from([0, batch === 'labels' ? 7 : 1, 2, 3]);
    const b = { x: batch === 'flat' ? flat : x, y, ...(batch === 'idx' ? { idx: Int32Array.from([0, 1, 2]) } : {}) };
    await expect(robust.evaluateRobustness(model, [b], { attack: 'autoattack', eps: 0.1, ...change })).rejects.toThrow(message);
    expect(model.modes, 'the model never ran').toEqual([]);
    for (const t of [x, flat]) t.dispose();
    model.dispose();
  });

  it('a batch the model does not accept: the error names its shape', async () => {
    const model = new TwoLayer(30, 8, 6, 5);
    const x = rl.tensor(new Float64Array(4 * 25).fill(0.5), [4, 1, 5, 5]);
    await expect(robust.evaluateRobustness(model, [{ x, y: Int32Array.from([0, 1, 2, 3]) }], { attack: 'apgd-ce', eps: 0.1 })).rejects.toThrow(/the model does not accept a batch of shape \[4, 1, 5, 5\]/);
    await expect(robust.evaluateRobustness(model, [], { attack: 'apgd-ce', eps: 0.1 })).rejects.toThrow(/the batches held no examples/);
    x.dispose();
    model.dispose();
  });
});
