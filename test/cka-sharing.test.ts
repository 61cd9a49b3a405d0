// Issue 13: within one similarity call each feature matrix is centred once and its Gram matrix,
// distances and RBF median are formed once, shared by every estimator; the RBF bandwidth never brings
// the n × n distances back to the host.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cpu, getBackend, tensor, Rng, type Backend } from '../src/node.js';
import { engine } from '../src/engine.js';
import { linearCka, rbfCka } from '../src/analysis/cka.js';
import { FeatureMatrix } from '../src/analysis/feature-matrix.js';
import { minibatchCka } from '../src/analysis/minibatch.js';
import { firstPcFraction } from '../src/analysis/pca.js';
import { similarityFromMatrices } from '../src/analysis/similarity.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const HSIC_STEPS = ['centerColumns', 'gram', 'sqDistFromGram', 'median'] as const;

/** Calls of each HSIC step of backend b while fn runs. */
async function countSteps(b: Backend<any>, fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const spies = HSIC_STEPS.map((m) => [m, vi.spyOn(b, m)] as const);
  await fn();
  return Object.fromEntries(spies.map(([m, s]) => [m, s.mock.calls.length]));
}

/** Dispatches per `shader.entry` while fn runs (GPU only). */
async function countDispatches(fn: () => Promise<unknown>): Promise<Map<string, number>> {
  const rt = engine.runtime!;
  const counts = new Map<string, number>();
  const real = rt.dispatch.bind(rt);
  vi.spyOn(rt, 'dispatch').mockImplementation((spec) => {
    const k = `${spec.shader}.${spec.entry}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    real(spec);
  });
  await fn();
  return counts;
}

function matrices(n: number, p: number, q: number, seed: number) {
  const rng = new Rng(seed);
  const a = rng.fillNormal(n * p).map((v, k) => Math.max(v, 0) + 3 * (k % p === 0 ? 1 : 0));
  const b = rng.fillNormal(n * q).map((v, k) => v + 0.5 * a[Math.floor(k / q) * p + ((k % q) % p)]!);
  return { A: { data: Float64Array.from(a), shape: [n, p] }, B: { data: Float64Array.from(b), shape: [n, q] } };
}

describe('one centring and one Gram matrix per feature matrix (issue 13)', () => {
  for (const [name, backend] of [['cpu', () => cpu as Backend<any>], ['gpu', getBackend]] as const) {
    for (const [n, p, q] of [[40, 6, 9], [40, 60, 90]] as const) {
      it(`similarityFromMatrices on ${name}, n=${n}, p=${p}, q=${q}: every estimator shares them`, async () => {
        const b = backend();
        const { A, B } = matrices(n, p, q, n + p);
        const calls = await countSteps(b, () => similarityFromMatrices(A, B, { batchSize: 10, backend: b }));
        // Linear, debiased, RBF 0.5 / 1.0 biased and debiased and four minibatches: X and Y once each.
        expect(calls).toEqual({ centerColumns: 2, gram: 2, sqDistFromGram: 2, median: 2 });
      });
    }
  }

  it('on the GPU: one centring kernel, one Gram kernel, one distance kernel and one median per matrix', async () => {
    const { A, B } = matrices(48, 20, 7, 3);
    const d = await countDispatches(() => similarityFromMatrices(A, B, { batchSize: 12 }));
    // Both centring passes (the means, then the means of the residuals) and the write in one kernel
    // at these 48 rows: center_columns_fused4 for p = 20, center_columns_fused for p = 7.
    expect(d.get('hsic.center_columns_fused4')).toBe(1);
    expect(d.get('hsic.center_columns_fused')).toBe(1);
    expect(d.get('hsic.col_partial_resid')).toBeUndefined();
    expect((d.get('hsic.gram_sym') ?? 0) + (d.get('gram_sg.gram_sym_sg') ?? 0) + (d.get('gram_sg.gram_sym_wide') ?? 0)).toBe(2);
    expect(d.get('hsic.sqdist')).toBe(2);
    expect(d.get('select.finish')).toBe(2);
  });
});

describe('the RBF bandwidth stays on the device', () => {
  it('an RBF CKA (and a whole similarity call) reads back nothing near n² values', async () => {
    const rt = engine.runtime!;
    const n = 257;
    const { A, B } = matrices(n, 5, 3, 11);
    const sizes: number[] = [];
    const real = rt.read.bind(rt);
    vi.spyOn(rt, 'read').mockImplementation((buffer, bytes, label) => {
      sizes.push(bytes);
      return real(buffer, bytes, label);
    });
    const x = tensor(A.data, [n, 5]);
    const y = tensor(B.data, [n, 3]);
    try {
      for (const debiased of [false, true]) {
        const r = await rbfCka(x, y, { threshold: 0.5, debiased });
        expect(Number.isFinite(r.value)).toBe(true);
      }
    } finally {
      x.dispose();
      y.dispose();
    }
    expect(sizes.length).toBeGreaterThan(0);
    // The partial sums of a Frobenius product over n² entries are n²/1024 values.
    expect(Math.max(...sizes), `bytes per readback: ${sizes.join(', ')}`).toBeLessThan((n * n * 4) / 64);
    sizes.length = 0;
    await similarityFromMatrices(A, B, { batchSize: 64 });
    expect(Math.max(...sizes), `bytes per readback: ${sizes.join(', ')}`).toBeLessThan((n * n * 4) / 64);
  });
});

describe('FeatureMatrix: estimators share one object', () => {
  for (const [name, backend, tol] of [['cpu', () => cpu as Backend<any>, 1e-12], ['gpu', getBackend, 2e-5]] as const) {
    it(`on ${name}: the Gram-block minibatch of a FeatureMatrix equals the batch-by-batch one of tensors`, async () => {
      const b = backend();
      const { A, B } = matrices(36, 7, 5, 21);
      const x = tensor(A.data, [36, 7], { backend: b });
      const y = tensor(B.data, [36, 5], { backend: b });
      const fx = new FeatureMatrix(x);
      const fy = new FeatureMatrix(y);
      try {
        for (const m of [4, 9, 12, 36]) {
          const want = await minibatchCka(x, y, m);
          expect(Math.abs((await minibatchCka(fx, fy, m)) - want), `batches of ${m}`).toBeLessThanOrEqual(tol);
        }
        // Tensors and FeatureMatrix objects give the same values for the other estimators too.
        expect((await linearCka(fx, fy, { form: 'gram', debiased: true })).value).toBeCloseTo((await linearCka(x, y, { form: 'gram', debiased: true })).value, 12);
        expect((await rbfCka(fx, fy, { threshold: 0.5 })).value).toBeCloseTo((await rbfCka(x, y, { threshold: 0.5 })).value, 12);
      } finally {
        fx.dispose();
        fy.dispose();
        x.dispose();
        y.dispose();
      }
    });
  }

  it('a second estimator on the same objects centres nothing again; a disposed object says so', async () => {
    const b = getBackend();
    const x = tensor(new Rng(5).fillNormal(20 * 6), [20, 6]);
    const y = tensor(new Rng(6).fillNormal(20 * 3), [20, 3]);
    const fx = new FeatureMatrix(x);
    const fy = new FeatureMatrix(y);
    await rbfCka(fx, fy);
    const again = await countSteps(b, async () => {
      await rbfCka(fx, fy, { threshold: 0.5, debiased: true });
      await linearCka(fx, fy, { form: 'gram' });
      await linearCka(fx, fy, { form: 'feature', debiased: true });
      await firstPcFraction(fx);
    });
    expect(again).toEqual({ centerColumns: 0, gram: 0, sqDistFromGram: 0, median: 0 });
    fx.dispose();
    await expect(linearCka(fx, fy)).rejects.toThrow(/disposed/);
    fy.dispose();
    x.dispose();
    y.dispose();
  });
});
