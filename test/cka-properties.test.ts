// CKA properties of methods.md §1.7 on the CPU oracle and the GPU: self-similarity 1, symmetry,
// invariance to orthogonal maps, isotropic scaling and translation, no invariance to column scaling or
// one-sided permutations; the bias of biased CKA on independent data (§1.7.8) and the f32 offset demo
// of §1.9.1 (features are centred before any Gram matrix is formed).
import { describe, expect, it } from 'vitest';
import { cpu, tensor, Rng } from '../src/node.js';
import { debiasedCka, linearCka } from '../src/analysis/cka.js';
import { X, Y, close, estimators, gpu, rows, withT } from './helpers/cka-data.js';

// ---- invariances (§1.7) -------------------------------------------------------------------

const givens = (i: number, j: number, th: number): number[][] => {
  const g: number[][] = Array.from({ length: 4 }, (_, r) => Array.from({ length: 4 }, (_, c) => (r === c ? 1 : 0)));
  g[i]![i] = Math.cos(th);
  g[j]![j] = Math.cos(th);
  g[i]![j] = -Math.sin(th);
  g[j]![i] = Math.sin(th);
  return g;
};
const mm = (a: number[][], b: number[][]): number[][] => a.map((r) => b[0]!.map((_, c) => r.reduce((s, v, k) => s + v * b[k]![c]!, 0)));
const Q = mm(mm(givens(0, 1, 0.7), givens(2, 3, -1.1)), givens(1, 2, 0.3));

describe('invariances and non-invariances (§1.7)', () => {
  const perm = [3, 7, 0, 11, 5, 1, 9, 2, 10, 4, 8, 6];
  const variants: [string, number[][], number[][]][] = [
    ['orthogonal Q', mm(X, Q), Y],
    ['isotropic scaling by -3.5', X.map((r) => r.map((v) => -3.5 * v)), Y],
    ['translation by 100', X.map((r) => r.map((v, j) => v + 100 + 10 * j)), Y],
  ];
  for (const [name, backend, tol] of [['cpu', () => cpu, 1e-12], ['gpu', gpu, 1e-5]] as const) {
    it(`every estimator on ${name}: self = 1, symmetric, invariant to Q, scaling, translation`, async () => {
      const b = backend();
      for (const [en, f] of estimators) {
        const base = await withT(b, [X, Y], (x, y) => f(x!, y!));
        await withT(b, [X, Y], async (x, y) => {
          close(await f(x!, x!), 1, tol, `${en}: CKA(X, X)`);
          close(await f(y!, y!), 1, tol, `${en}: CKA(Y, Y)`);
          close(await f(y!, x!), base, tol, `${en}: symmetry`);
        });
        for (const [vn, xv, yv] of variants) {
          // Translation by 100 costs digits in f32 storage itself (|x| ~ 130, ulp ~ 1e-5) and in
          // float64 only round-off (§1.7.5): a looser bound there.
          const t = vn.startsWith('translation') ? (name === 'cpu' ? 1e-9 : 2e-4) : tol;
          close(await withT(b, [xv, yv], (x, y) => f(x!, y!)), base, t, `${en}: ${vn}`);
        }
        // The same row permutation on both leaves full-batch estimators unchanged.
        if (!en.startsWith('minibatch')) close(await withT(b, [rows(X, perm), rows(Y, perm)], (x, y) => f(x!, y!)), base, tol, `${en}: shared permutation`);
      }
      close(await withT(b, [mm(X, Q), Y], async (x, y) => (await linearCka(x!, y!)).value), 0.11116066401267741, tol, 'CKA(XQ, Y) reference');
    });
  }

  it('not invariant to non-isotropic scaling or to permuting one side only', async () => {
    const scaled = X.map((r) => r.map((v, j) => (j === 0 ? 10 * v : v)));
    await withT(gpu(), [X, Y, scaled, rows(X, perm)], async (x, y, xs, xp) => {
      for (const [en, f] of estimators) {
        if (en.startsWith('minibatch')) continue;
        const base = await f(x!, y!);
        expect(Math.abs((await f(xs!, y!)) - base), `${en}: column scaling changes CKA`).toBeGreaterThan(1e-3);
        expect(Math.abs((await f(xp!, y!)) - base), `${en}: one-sided permutation changes CKA`).toBeGreaterThan(1e-3);
      }
    });
  });
});

// ---- statistics and numerics ----------------------------------------------------------------

describe('bias (§1.7.8) and the f32 offset demo (§1.9.1)', () => {
  it('debiased CKA of independent data is near 0; biased CKA is not', async () => {
    const rng = new Rng(8);
    let sumAbsD = 0;
    let sumB = 0;
    const trials = 20;
    for (let t = 0; t < trials; t++) {
      const x = tensor(rng.fillNormal(64 * 64), [64, 64]);
      const y = tensor(rng.fillNormal(64 * 64), [64, 64]);
      sumAbsD += Math.abs((await debiasedCka(x, y)).value);
      sumB += (await linearCka(x, y)).value;
      x.dispose();
      y.dispose();
    }
    expect(sumAbsD / trials).toBeLessThan(0.03);
    expect(sumB / trials).toBeGreaterThan(0.4);
  });

  it('a large common offset does not hurt the f32 GPU estimate (features are centred first)', async () => {
    const rng = new Rng(21);
    const n = 256;
    const base = rng.fillNormal(n * 64);
    const noise = rng.fillNormal(n * 32);
    const y0 = new Float64Array(n * 32).map((_, k) => base[Math.floor(k / 32) * 64 + (k % 32)]! + 0.8 * noise[k]!);
    const want = await withT(cpu, [], async () => {
      const x = tensor(base, [n, 64], { backend: cpu });
      const y = tensor(y0, [n, 32], { backend: cpu });
      const v = (await linearCka(x, y)).value;
      x.dispose();
      y.dispose();
      return v;
    });
    for (const c of [0, 10, 100, 1000]) {
      const x = tensor(base.map((v) => v + c), [n, 64]);
      const y = tensor(y0.map((v) => v + c), [n, 32]);
      for (const form of ['gram', 'feature'] as const) {
        const got = (await linearCka(x, y, { form })).value;
        // f32 storage of values near c already rounds them by ~c·6e-8; the error stays near that.
        expect(Math.abs(got - want), `offset ${c}, ${form} form: ${got} vs ${want}`).toBeLessThan(1e-5 + 2e-7 * c);
      }
      x.dispose();
      y.dispose();
    }
  });
});
