// CKA / HSIC reference vectors of methods.md §1.8 on the float64 CPU oracle and on the GPU: every
// estimator (linear, debiased, RBF, minibatch), the similarity command's computation, the full-matrix
// median (§1.1) and the input errors. Properties are in cka-properties, the GPU against the oracle on
// random data in cka-oracle, layer × layer CKA in cka-layers, the sharing of work in cka-sharing.
import { describe, expect, it } from 'vitest';
import { cpu, tensor, Rng } from '../src/node.js';
import { debiasedCka, hsic, linearCka, rbfCka } from '../src/analysis/cka.js';
import { minibatchCka } from '../src/analysis/minibatch.js';
import { similarityFromMatrices } from '../src/analysis/similarity.js';
import { fullMedian } from '../src/analysis/index.js';
import { ShapeError } from '../src/errors.js';
import { X, Y, Y2, close, gpu, range, rows, withT } from './helpers/cka-data.js';

describe('reference vectors (§1.8)', () => {
  it('sanity rows of the inputs', () => {
    close(X[0]![1]!, 0.9635581854, 1e-10, 'X[0][1]');
    close(Y[0]![1]!, 1.2101284496, 1e-10, 'Y[0][1]');
    close(Y2[0]![0]!, 0.20310027, 1e-8, 'Y2[0][0]');
  });

  for (const [name, backend, tol] of [['cpu', () => cpu, 1e-12], ['gpu', gpu, 1e-5]] as const) {
    it(`HSIC and CKA values on ${name}`, async () => {
      const b = backend();
      await withT(b, [X, Y, Y2], async (x, y, y2) => {
        close(await hsic(x!, y!), 0.4749649842699146, tol, 'HSIC_0(X,Y)');
        close(await hsic(x!, x!), 7.3690990472621065, tol, 'HSIC_0(X,X)');
        close(await hsic(y!, y!), 2.477459298251017, tol, 'HSIC_0(Y,Y)');
        close(await hsic(x!, y!, { unbiased: true }), -0.10916998629097562, tol, 'HSIC_1(X,Y)');
        close(await hsic(x!, x!, { unbiased: true }), 6.924161602605107, tol, 'HSIC_1(X,X)');
        close(await hsic(y!, y!, { unbiased: true }), 2.3147602981728017, tol, 'HSIC_1(Y,Y)');
        for (const form of ['gram', 'feature'] as const) {
          close((await linearCka(x!, y!, { form })).value, 0.11116066401267746, tol, `CKA ${form}`);
          close((await debiasedCka(x!, y!, { form })).value, -0.027268838867027027, tol, `dCKA ${form}`);
          close((await linearCka(x!, y2!, { form })).value, 0.9198767989473191, tol, `CKA(X,Y2) ${form}`);
          close((await debiasedCka(x!, y2!, { form })).value, 0.9143410448975974, tol, `dCKA(X,Y2) ${form}`);
        }
        close((await rbfCka(x!, y!, { threshold: 1 })).value, 0.24663791940533897, tol, 'RBF t=1');
        close((await rbfCka(x!, y!, { threshold: 1, debiased: true })).value, 0.06329850968843188, tol, 'RBF t=1 debiased');
        close((await rbfCka(x!, y!, { threshold: 0.5 })).value, 0.5270415666195124, tol, 'RBF t=0.5');
        close((await rbfCka(x!, y!, { threshold: 0.5, debiased: true })).value, 0.24347453278431463, tol, 'RBF t=0.5 debiased');
      });
      const scaled = X.map((r) => r.map((v, j) => (j === 0 ? 10 * v : v)));
      const perm = [3, 7, 0, 11, 5, 1, 9, 2, 10, 4, 8, 6];
      await withT(b, [scaled, perm.map((i) => X[i]!), Y], async (xs, xp, y) => {
        close((await linearCka(xs!, y!)).value, 0.13757665787514484, tol, 'CKA(X diag(10,1,1,1), Y)');
        close((await linearCka(xp!, y!)).value, 0.02859980414405962, tol, 'CKA(X[perm], Y)');
      });
    });
  }
});

describe('minibatch CKA (§1.6, §1.8)', () => {
  for (const [name, backend, tol] of [['cpu', () => cpu, 1e-12], ['gpu', gpu, 1e-5]] as const) {
    it(`reference rows on ${name}`, async () => {
      const b = backend();
      await withT(b, [X, Y, Y2], async (x, y, y2) => {
        close(await minibatchCka(x!, y!, 6), 0.762524836924901, tol, 'mb(X,Y) batches of 6');
        close(await minibatchCka(x!, y!, 4), 0.9598433934377512, tol, 'mb(X,Y) batches of 4');
        close(await minibatchCka(x!, y2!, 6), 0.9671452380823345, tol, 'mb(X,Y2) batches of 6');
        close(await minibatchCka(x!, y2!, 12), 0.9143410448975974, tol, 'one batch = debiased CKA');
        close(await minibatchCka(x!, x!, 4), 1, tol, 'mb(X,X)');
      });
    });
  }
});

describe('similarityFromMatrices and input errors', () => {
  it('reports every estimator for two plain matrices (float32 and float64)', async () => {
    const r = await similarityFromMatrices({ data: Float64Array.from(X.flat()), shape: [12, 4] }, { data: Float32Array.from(Y.flat()), shape: [12, 3] }, { batchSize: 6 });
    close(r.linear, 0.11116066401267746, 1e-5, 'linear');
    close(r.debiased, -0.027268838867027027, 1e-5, 'debiased');
    close(r.rbf['0.5'].biased, 0.5270415666195124, 1e-5, 'rbf 0.5');
    close(r.rbf['1.0'].debiased, 0.06329850968843188, 1e-5, 'rbf 1.0 debiased');
    close(r.minibatch.value, 0.762524836924901, 1e-5, 'minibatch');
    expect(r.minibatch.batches).toBe(2);
    expect(r.dead).toEqual({ A: false, B: false });
  });

  it('rejects bad inputs with clear errors before any GPU work', async () => {
    const a = { data: new Float32Array(12 * 4), shape: [12, 4] };
    await expect(similarityFromMatrices(a, { data: new Float32Array(10 * 3), shape: [10, 3] })).rejects.toThrow(/must be paired/);
    await expect(similarityFromMatrices(a, { data: new Float32Array([NaN, ...new Float32Array(35)]), shape: [12, 3] })).rejects.toThrow(/non-finite/);
    await expect(similarityFromMatrices(a, { data: new Float32Array(24), shape: [2, 3, 4] })).rejects.toThrow(ShapeError);
    await expect(similarityFromMatrices(a, a, { batchSize: 3 })).rejects.toThrow(/batchSize/);
    await withT(gpu(), [X, rows(Y, range(0, 10))], async (x, y) => {
      await expect(linearCka(x!, y!)).rejects.toThrow(/12 and 10 rows/);
    });
    const x3 = tensor(new Float32Array(24), [2, 3, 4]);
    await expect(linearCka(x3, x3)).rejects.toThrow(/2-D/);
    x3.dispose();
  });
});

describe('full-matrix median (§1.1)', () => {
  it('matches a sort-based median, odd and even counts, with ties and the diagonal zeros', () => {
    const rng = new Rng(3);
    for (const len of [1, 2, 3, 4, 9, 144, 1001, 4096]) {
      const v = Array.from(rng.fillUniform(len, 0, 5), (x, i) => (i % 7 === 0 ? 0 : Math.round(x * 4) / 4));
      const s = [...v].sort((a, b) => a - b);
      const want = len % 2 ? s[len >> 1]! : (s[(len >> 1) - 1]! + s[len >> 1]!) / 2;
      expect(fullMedian(v), `length ${len}`).toBe(want);
    }
  });

  it('uses all n² entries including the diagonal: 5.42215 on X of §1.8, not the off-diagonal 6.12249', () => {
    const d: number[] = [];
    for (const a of X) for (const b of X) d.push(a.reduce((s, v, j) => s + (v - b[j]!) ** 2, 0));
    expect(fullMedian(d)).toBeCloseTo(5.42215, 4);
  });
});
