// The HSIC ops on Tensors (src/ops/hsic.ts): each one on the GPU against the float64 CPU oracle on
// awkward shapes, and the clear errors they give (before any GPU work) for bad shapes, bad thresholds,
// mixed backends and inputs that a valueAndGrad is tracing.
import { describe, expect, it } from 'vitest';
import { cpu, getBackend, tensor, valueAndGrad, sum, Rng, type Backend, type Tensor } from '../src/node.js';
import { DTypeError, ShapeError, ValueError } from '../src/errors.js';
import {
  centerColumns, doubleCenter, frobeniusInner, gram, innerProducts, medianOfAll, rbfFromSqDist, sqDistFromGram, uCenter,
} from '../src/ops/hsic.js';

/** Every op of the family on backend b, from the same features; all intermediate tensors disposed. */
async function pipeline(b: Backend<any>, values: Float64Array, n: number, p: number): Promise<Record<string, number[]>> {
  const made: Tensor[] = [];
  const t = (x: Tensor): Tensor => (made.push(x), x);
  try {
    const x = t(tensor(values, [n, p], { backend: b }));
    const xc = t(centerColumns(x));
    const k = t(gram(xc));
    const d = t(sqDistFromGram(k));
    const m = t(medianOfAll(d));
    const r = t(rbfFromSqDist(d, m, 0.7));
    const read = async (y: Tensor): Promise<number[]> => Array.from(await y.data());
    const out: Record<string, number[]> = { xc: await read(xc), k: await read(k), d: await read(d), m: await read(m), r: await read(r) };
    if (n >= 4) out.u = await read(t(uCenter(r)));
    out.h = await read(t(doubleCenter(r)));
    out.rows = Array.from(await innerProducts(xc, xc));
    out.fro = [await frobeniusInner(k, r)];
    return out;
  } finally {
    for (const y of made) y.dispose();
  }
}

describe('HSIC ops: GPU against the float64 oracle', () => {
  // n = 70 and 129 span two and three of the centring kernels' 64-row blocks.
  for (const [n, p] of [[1, 3], [4, 1], [5, 7], [37, 5], [70, 33], [129, 6]] as const) {
    it(`n=${n}, p=${p}`, async () => {
      const v = new Rng(n * 31 + p).fillNormal(n * p).map((x, i) => x + (i % p) * 2);
      const [g, c] = [await pipeline(getBackend(), v, n, p), await pipeline(cpu, v, n, p)];
      expect(Object.keys(g)).toEqual(Object.keys(c));
      for (const key of Object.keys(c)) {
        const scale = Math.max(1, ...c[key]!.map(Math.abs));
        g[key]!.forEach((got, i) => expect(Math.abs(got - c[key]![i]!), `${key}[${i}] at n=${n}, p=${p}`).toBeLessThanOrEqual(2e-5 * scale));
      }
      expect(c.xc!.length).toBe(n * Math.ceil(p / 4) * 4); // padded to a multiple of 4 columns, zeros there
      for (let i = 0; i < n; i++) expect(c.d![i * n + i]).toBe(0);
    });
  }

  it('a zero median (half the pairs coincide) gives an all-zero RBF kernel on both backends', async () => {
    for (const b of [cpu as Backend<any>, getBackend()]) {
      const d = tensor([0, 0, 0, 4], [2, 2], { backend: b });
      const m = medianOfAll(d);
      const r = rbfFromSqDist(d, m, 1);
      expect(Array.from(await r.data())).toEqual([0, 0, 0, 0]);
      for (const t of [d, m, r]) t.dispose();
    }
  });
});

describe('HSIC ops: clear errors', () => {
  it('bad shapes, dtypes, thresholds and mixed backends, before any GPU work', async () => {
    const x3 = tensor(new Float32Array(24), [2, 3, 4]);
    const x5 = tensor(new Float32Array(10), [2, 5]);
    const k3 = tensor(new Float32Array(9), [3, 3]);
    const i2 = tensor([1, 2, 3, 4], [2, 2], { dtype: 'int32' });
    const kc = tensor(new Float64Array(9), [3, 3], { backend: cpu });
    const two = tensor([1, 2], [2]);
    try {
      expect(() => centerColumns(x3)).toThrow(ShapeError);
      expect(() => centerColumns(x3)).toThrow(/centerColumns: .*2-D/);
      expect(() => centerColumns(i2)).toThrow(DTypeError);
      expect(() => gram(x5)).toThrow(/gram: .*multiple of 4/);
      expect(() => sqDistFromGram(x5)).toThrow(/sqDistFromGram: needs a square/);
      expect(() => uCenter(k3)).toThrow(/uCenter: .*n ≥ 4/);
      expect(() => rbfFromSqDist(k3, two, 1)).toThrow(/one-element/);
      const m = medianOfAll(k3);
      expect(() => rbfFromSqDist(k3, m, 0)).toThrow(/threshold must be a finite number > 0/);
      expect(() => rbfFromSqDist(k3, m, NaN)).toThrow(ValueError);
      m.dispose();
      expect(() => rbfFromSqDist(kc, two, 1)).toThrow(/different backends/);
      await expect(innerProducts(x5, k3)).rejects.toThrow(/innerProducts: rows .* differ in length/);
    } finally {
      for (const t of [x3, x5, k3, i2, kc, two]) t.dispose();
    }
  });

  it('refuses inputs that a valueAndGrad traces (no gradient, rather than a silently missing one)', () => {
    const x = tensor(new Rng(2).fillNormal(12), [6, 2]);
    expect(() => valueAndGrad(() => sum(gram(centerColumns(x))), [x])).toThrow(/centerColumns: the HSIC ops have no gradient/);
    x.dispose();
  });
});
