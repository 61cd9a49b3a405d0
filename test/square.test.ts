import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { squareEta } from '../src/robust/square-parts.js';
import { expectClose, randomValues } from './helpers/oracle.js';
import { TwoLayer, distances, predictedBatch, predictions } from './helpers/attack-models.js';

const { robust } = rl;

describe('Square schedule and windows', () => {
  it("halves p after the reference's query counts (and optionally stretches them to nQueries)", () => {
    const at: [number, number][] = [
      [0, 0.8], [10, 0.8], [11, 0.4], [50, 0.4], [51, 0.2], [200, 0.2], [201, 0.1], [500, 0.1], [501, 0.05], [1000, 0.05],
      [1001, 0.025], [2000, 0.025], [2001, 0.0125], [4000, 0.0125], [4001, 0.00625], [6000, 0.00625], [6001, 0.003125], [8000, 0.003125], [8001, 0.0015625],
    ];
    for (const [it, p] of at) expect(robust.squareP(it, 0.8, 5000, false), `query ${it}`).toBe(p);
    // Rescaled to 1000 queries, query i counts as ⌊10·i⌋.
    expect([1, 2, 5, 6, 20, 21].map((i) => robust.squareP(i, 0.8, 1000, true))).toEqual([0.8, 0.4, 0.4, 0.2, 0.2, 0.1]);
  });

  it('window side √(p·H·W), rounded half to even as Python does, at least 1 (L2: 3 and odd), at most the image', () => {
    expect(robust.squareSide(0.8, 1, 28, 28, 'linf')).toBe(25); // √627.2 = 25.04
    expect(robust.squareSide(0.8, 3, 32, 32, 'linf')).toBe(29); // √819.2 = 28.62
    expect(robust.squareSide(0.05, 1, 28, 28, 'linf')).toBe(6); // √39.2 = 6.26
    expect(robust.squareSide(0.05, 1, 28, 28, 'l2')).toBe(7); // odd
    expect(robust.squareSide(0.25, 1, 5, 5, 'linf')).toBe(2); // √6.25 = 2.5 → 2
    expect(robust.squareSide(0.25, 1, 5, 5, 'l2')).toBe(3); // at least 3
    expect(robust.squareSide(0.49, 2, 5, 5, 'linf')).toBe(4); // 3.5 → 4
    expect(robust.squareSide(0.49, 2, 5, 5, 'l2')).toBe(5); // 4 is even → 5
    expect(robust.squareSide(1, 1, 4, 6, 'linf')).toBe(4); // √24 = 4.9 → 5, cut to the image
    expect(robust.squareSide(0.001, 1, 28, 28, 'linf')).toBe(1);
  });

  it('the L2 window pattern η: nested rectangles, + on top and − below, unit norm', () => {
    // s = 3 by hand: top row [1/4, 5/4, 1/4] / √1.6875, bottom [[1/4, 1/4, 1/4], [1/4, 5/4, 1/4]] / √1.875, then / √2.
    const [a, c] = [1 / Math.sqrt(1.6875 * 2), 1 / Math.sqrt(1.875 * 2)];
    expectClose(squareEta(3), [0.25 * a, 1.25 * a, 0.25 * a, -0.25 * c, -0.25 * c, -0.25 * c, -0.25 * c, -1.25 * c, -0.25 * c], { atol: 1e-15, rtol: 0 }, 'η(3)');
    // s = 5, numbers from the reference's eta(5) (float32), untransposed.
    const ref5 = [
      0.0491621606, 0.1597770303, 0.1597770303, 0.1597770303, 0.0491621606, 0.0491621606, 0.1597770303, 0.6022365093, 0.1597770303, 0.0491621606,
      -0.0455901474, -0.1481679827, -0.1481679827, -0.1481679827, -0.0455901474, -0.0455901474, -0.1481679827, -0.5584793091, -0.1481679827,
      -0.0455901474, -0.0455901474, -0.1481679827, -0.1481679827, -0.1481679827, -0.0455901474,
    ];
    expectClose(squareEta(5), ref5, { atol: 1e-7, rtol: 0 }, 'η(5)');
    for (const s of [1, 3, 5, 7, 11]) expect(Math.hypot(...squareEta(s)), `‖η(${s})‖`).toBeCloseTo(1, 12);
  });
});

/** A 4-class model on 1×6×5 images and a batch it classifies correctly. */
async function setup(be: rl.Backend<any>, n: number, seed = 41) {
  const model = new TwoLayer(30, 16, 4, seed, be);
  const batch = await predictedBatch(model, [n, 1, 6, 5], seed + 1, be);
  const clean = rl.tidy(() => robust.logitMargin(model.forward(batch.x), rl.oneHot(batch.y, 4, { backend: be })));
  const cleanMargin = Array.from(await clean.data());
  clean.dispose();
  return { model, ...batch, cleanMargin };
}

describe('Square attack', () => {
  for (const [norm, eps] of [['linf', 0.12], ['l2', 0.6]] as const) {
    it(`${norm}: lowers the margin, stays in the ε-ball and [0, 1], the same on the GPU and the float64 oracle`, async () => {
      const runs: rl.robust.SquareOutcome[] = [];
      for (const be of [rl.getBackend(), rl.cpu]) {
        const { model, x, y, values, cleanMargin } = await setup(be, 10);
        const r = await robust.square(model, x, y, { eps, norm, nQueries: 150, seed: 3 });
        const adv = Array.from(await r.x.data());
        const pred = await predictions(model, r.x);
        const dist = distances(adv, values, 30);
        for (let e = 0; e < 10; e++) {
          expect(r.margin[e]!, `example ${e}: margin never rises`).toBeLessThanOrEqual(cleanMargin[e]! + 1e-6);
          expect(r.success[e], `example ${e}`).toBe(pred[e] !== y[e] ? 1 : 0);
          expect(r.success[e], `example ${e}: broken iff the margin reached 0`).toBe(r.margin[e]! <= 0 ? 1 : 0);
          expect(dist[norm][e]!).toBeLessThanOrEqual(eps + 1e-6);
          // A broken example stopped being queried; an unbroken one used every query (plus the start).
          if (r.success[e]) expect(r.queries[e]!).toBeLessThanOrEqual(151);
          else expect(r.queries[e]).toBe(151);
        }
        expect(adv.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(r.success.some((s) => s === 1) && r.success.some((s) => s === 0), 'some broken, some not').toBe(true);
        expect(r.margin.filter((m, e) => m < cleanMargin[e]! - 1e-3).length, 'most margins fall').toBeGreaterThan(7);
        runs.push(r);
        r.x.dispose();
        x.dispose();
        model.dispose();
      }
      // Host-drawn randomness: the same windows on both backends.
      expect(Array.from(runs[0]!.success)).toEqual(Array.from(runs[1]!.success));
      expect(Array.from(runs[0]!.queries)).toEqual(Array.from(runs[1]!.queries));
      expectClose(runs[0]!.margin, runs[1]!.margin, { atol: 1e-5, rtol: 0 }, 'margins');
    });
  }

  it('one random stream per example (named by its index): the same outcome alone, in a batch, and however often broken examples are dropped', async () => {
    const { model, x, y } = await setup(rl.cpu, 8, 51);
    const opts = { eps: 0.1, nQueries: 60, seed: 9 };
    const full = await robust.square(model, x, y, opts);
    const eager = await robust.square(model, x, y, { ...opts, compactEvery: 1, batchSize: 3 });
    expect(Array.from(eager.queries)).toEqual(Array.from(full.queries));
    expect(Array.from(eager.margin)).toEqual(Array.from(full.margin));
    expectClose(await eager.x.data(), await full.x.data(), { atol: 0, rtol: 0 }, 'points');
    const pick = [2, 6];
    const xs = rl.tidy(() => rl.gather(x, rl.tensor(pick, [2], { dtype: 'int32', backend: rl.cpu }), 0));
    const part = await robust.square(model, xs, pick.map((i) => y[i]!), { ...opts, indices: pick });
    expect(Array.from(part.queries)).toEqual(pick.map((i) => full.queries[i]));
    expect(Array.from(part.margin)).toEqual(pick.map((i) => full.margin[i]));
    for (const t of [full.x, eager.x, part.x, x, xs]) t.dispose();
    model.dispose();
  });

  it('leaves clean-misclassified examples alone and refuses bad input before any work', async () => {
    const { model, x, y } = await setup(rl.getBackend(), 3, 61);
    const wrong = Int32Array.from(y, (v, i) => (i === 1 ? (v + 1) % 4 : v));
    const r = await robust.square(model, x, wrong, { eps: 0.05, nQueries: 5 });
    expect(r.cleanCorrect[1]).toBe(0);
    expect(r.success[1]).toBe(1);
    expect(r.queries[1]).toBe(0);
    expect(Number.isNaN(r.margin[1])).toBe(true);
    r.x.dispose();
    model.modes.length = 0;
    const flat = rl.tensor(randomValues([3, 30], 1, 0, 1), [3, 30]);
    const tiny = rl.tensor(randomValues([3, 1, 4, 4], 1, 0, 1), [3, 1, 4, 4]);
    await expect(robust.square(model, flat, y, { eps: 0.1 })).rejects.toThrow(/square: Square needs images \[B, C, H, W\], got \[3, 30\]; reshape flat inputs/);
    await expect(robust.square(model, tiny, y, { eps: 0.1, norm: 'l2' })).rejects.toThrow(/L2 Square needs images of at least 5×5 pixels/);
    await expect(robust.square(model, x, y, { eps: -1 })).rejects.toThrow(/square: eps -1 must be a finite number >= 0/);
    await expect(robust.square(model, x, y, { eps: 0.1, nQueries: 0 })).rejects.toThrow(/nQueries 0 must be an integer >= 1/);
    await expect(robust.square(model, x, y, { eps: 0.1, pInit: 0 })).rejects.toThrow(/pInit 0 must lie in \(0, 1\]/);
    await expect(robust.square(model, x, [0, 1], { eps: 0.1 })).rejects.toThrow(/2 labels for a batch of 3/);
    await expect(robust.square(model, x, [0, 1, 9], { eps: 0.1, numClasses: 4 })).rejects.toThrow(/label 9 at index 2 is outside \[0, 4\)/);
    expect(model.modes, 'the model never ran').toEqual([]);
    for (const t of [x, flat, tiny]) t.dispose();
    model.dispose();
  });
});
