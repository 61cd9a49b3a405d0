// CKA / HSIC against methods.md §1.7–§1.9: reference vectors, invariances, bias, f32 offsets, and
// every estimator on the GPU against the float64 CPU oracle (the same estimator code on `cpu`).
import { describe, expect, it } from 'vitest';
import { cpu, getBackend, tensor, Rng, type Backend, type Tensor } from '../src/node.js';
import { debiasedCka, hsic, linearCka, rbfCka } from '../src/analysis/cka.js';

type B = Backend<any>;
const gpu = (): B => getBackend();

// §1.8 inputs.
const N = 12;
const X = Array.from({ length: N }, (_, i) => Array.from({ length: 4 }, (_, j) => Math.sin(0.5 * i + 1.3 * j) + 0.05 * i * j));
const Y = Array.from({ length: N }, (_, i) => Array.from({ length: 3 }, (_, k) => Math.cos(0.9 * i - 0.4 * k) + 0.3 * X[i]![k % 4]!));
const M = [[1, 0.5, 0], [0, 1, 0.3], [0.2, 0, 1], [0, 0, 0]];
const Y2 = Array.from({ length: N }, (_, i) =>
  Array.from({ length: 3 }, (_, k) => X[i]!.reduce((s, v, j) => s + v * M[j]![k]!, 0) + 0.1 * Math.cos(i * (k + 1))));

const T = (rows: number[][], b: B): Tensor => tensor(rows.flat(), [rows.length, rows[0]!.length], { backend: b });

async function withT<R>(b: B, mats: number[][][], fn: (...ts: Tensor[]) => Promise<R>): Promise<R> {
  const ts = mats.map((m) => T(m, b));
  try {
    return await fn(...ts);
  } finally {
    for (const t of ts) t.dispose();
  }
}

const close = (got: number, want: number, tol: number, what: string): void => {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
};

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
