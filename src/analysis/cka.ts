/**
 * CKA estimators (methods.md §1.4–§1.5): linear CKA in Gram or feature form, debiased CKA (HSIC_1)
 * in both forms, RBF CKA with the full-matrix median heuristic. Inputs are 2-D float32 tensors whose
 * rows are paired examples. A layer whose self-HSIC is ≤ 0 (dead or constant) gives NaN and `dead`.
 */
import { padTo4 } from '../types.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import {
  checkPair, featuresOf, hsicDenominator, hsicTriple, innerProducts, linearGram, ratio, rbfGram,
  type AnyBackend, type Features, type HsicTriple,
} from './hsic.js';

export interface CkaValue {
  /** CKA, or NaN when either side is dead. */
  value: number;
  /** HSIC(X, Y), HSIC(X, X), HSIC(Y, Y) with the estimator used (HSIC_0 or HSIC_1). */
  hsic: HsicTriple;
  /** true when a self-HSIC is ≤ 0 (or, for RBF, the median distance is 0): no similarity defined. */
  dead: boolean;
  /** Which computation ran. */
  form: 'gram' | 'feature';
}

export interface LinearCkaOptions {
  /** Use HSIC_1 (debiased CKA, §1.5) instead of HSIC_0. Default false. */
  debiased?: boolean;
  /** 'auto' picks whichever form needs fewer FLOPs for the shapes (§1.4). */
  form?: 'auto' | 'gram' | 'feature';
}

function result(h: HsicTriple, form: 'gram' | 'feature'): CkaValue {
  const value = ratio(h.xy, h.xx, h.yy);
  return { value, hsic: h, dead: Number.isNaN(value) && !Number.isNaN(h.xy), form };
}

/** FLOPs of each form: the symmetric Gram kernel does n²(p + q)/2 FMAs, the feature form n(pq + p² + q²). */
export function cheaperForm(n: number, p: number, q: number): 'gram' | 'feature' {
  return n * (p * q + p * p + q * q) < (n * n * (p + q)) / 2 ? 'feature' : 'gram';
}

async function gramForm(x: Features, y: Features, unbiased: boolean): Promise<HsicTriple> {
  const b = x.backend;
  const k = linearGram(x);
  let l: unknown;
  try {
    l = linearGram(y);
    return await hsicTriple(b, k, l, x.n, unbiased);
  } finally {
    b.free(k);
    if (l !== undefined) b.free(l);
  }
}

/** Row squared norms of centred features [n, ld] (padding columns are 0), read back as float64. */
async function rowSquaredNorms(b: AnyBackend, xc: unknown, n: number, ld: number): Promise<Float64Array> {
  const sq = b.unary('square', xc, n * ld);
  const r = b.reduce('sum', sq, { shape: [n], strides: [ld], offset: 0 }, { shape: [ld], strides: [1], offset: 0 });
  b.free(sq);
  try {
    return Float64Array.from(await b.read(r, n, 'float32'));
  } finally {
    b.free(r);
  }
}

/** ||Bᵀ A||²_F for centred A [n, lda] (p used columns) and B [n, ldb] (q used columns). */
async function crossNorm2(b: AnyBackend, a: unknown, p: number, lda: number, c: unknown, q: number, ldc: number, n: number): Promise<number> {
  // Aᵀ C: (p × n)·(n × q); Aᵀ is A read with transposed strides.
  const m = b.matmul(a, { offset: 0, sb: 0, si: 1, sj: lda }, c, { offset: 0, sb: 0, si: ldc, sj: 1 }, 1, p, n, q);
  try {
    return (await innerProducts(b, m, 1, m, 1, p * q))[0]!;
  } finally {
    b.free(m);
  }
}

/**
 * Feature form (Kornblith's feature_space_linear_cka and _debiased_dot_product_similarity_helper):
 * HSIC_0 = ||YᵀX||²/(n−1)², and HSIC_1 = S/(n(n−3)) with
 * S = ||YᵀX||² − n/(n−2)·Σ a_i b_i + A·B/((n−1)(n−2)) for row squared norms a, b (§1.5).
 */
async function featureForm(x: Features, y: Features, unbiased: boolean): Promise<HsicTriple> {
  const b = x.backend;
  const n = x.n;
  const ldx = padTo4(x.p);
  const ldy = padTo4(y.p);
  const xc = b.centerColumns(x.storage, n, x.p);
  const yc = b.centerColumns(y.storage, n, y.p);
  try {
    const [xy, xx, yy] = await Promise.all([
      crossNorm2(b, xc, x.p, ldx, yc, y.p, ldy, n),
      crossNorm2(b, xc, x.p, ldx, xc, x.p, ldx, n),
      crossNorm2(b, yc, y.p, ldy, yc, y.p, ldy, n),
    ]);
    const z = hsicDenominator(n, unbiased);
    if (!unbiased) return { xy: xy / z, xx: xx / z, yy: yy / z };
    const [a, c] = await Promise.all([rowSquaredNorms(b, xc, n, ldx), rowSquaredNorms(b, yc, n, ldy)]);
    const s = (f: number, u: Float64Array, v: Float64Array): number => {
      let dot = 0;
      let su = 0;
      let sv = 0;
      for (let i = 0; i < n; i++) {
        dot += u[i]! * v[i]!;
        su += u[i]!;
        sv += v[i]!;
      }
      return f - (n / (n - 2)) * dot + (su * sv) / ((n - 1) * (n - 2));
    };
    return { xy: s(xy, a, c) / z, xx: s(xx, a, a) / z, yy: s(yy, c, c) / z };
  } finally {
    b.free(xc);
    b.free(yc);
  }
}

/** Linear CKA (biased, HSIC_0) or debiased linear CKA (HSIC_1) of two feature matrices. */
export async function linearCka(X: Tensor, Y: Tensor, opts: LinearCkaOptions = {}): Promise<CkaValue> {
  const op = opts.debiased ? 'debiasedCka' : 'linearCka';
  const x = featuresOf(op, X);
  const y = featuresOf(op, Y);
  const unbiased = opts.debiased ?? false;
  checkPair(op, x, y, unbiased ? 4 : 2);
  const form = !opts.form || opts.form === 'auto' ? cheaperForm(x.n, x.p, y.p) : opts.form;
  if (form !== 'gram' && form !== 'feature') throw new ValueError(`${op}: form must be 'auto', 'gram' or 'feature', got '${String(form)}'`);
  const h = form === 'gram' ? await gramForm(x, y, unbiased) : await featureForm(x, y, unbiased);
  return result(h, form);
}

/** Debiased linear CKA (§1.5): linearCka with HSIC_1. */
export const debiasedCka = (X: Tensor, Y: Tensor, opts: Omit<LinearCkaOptions, 'debiased'> = {}): Promise<CkaValue> =>
  linearCka(X, Y, { ...opts, debiased: true });

export interface RbfCkaOptions {
  /** Bandwidth as a fraction of the median distance: σ² = t²·median(D) (§1.1). Default 1.0. */
  threshold?: number;
  /** Use HSIC_1 instead of HSIC_0. Default false. */
  debiased?: boolean;
}

/** RBF CKA with the full-matrix median heuristic (diagonal zeros included, §1.1). */
export async function rbfCka(X: Tensor, Y: Tensor, opts: RbfCkaOptions = {}): Promise<CkaValue> {
  const x = featuresOf('rbfCka', X);
  const y = featuresOf('rbfCka', Y);
  const unbiased = opts.debiased ?? false;
  checkPair('rbfCka', x, y, unbiased ? 4 : 2);
  const t = opts.threshold ?? 1;
  const b = x.backend;
  const kx = await rbfGram(x, t);
  const ky = await rbfGram(y, t).catch((e) => {
    if (kx.gram !== null) b.free(kx.gram);
    throw e;
  });
  if (kx.gram === null || ky.gram === null) {
    if (kx.gram !== null) b.free(kx.gram);
    if (ky.gram !== null) b.free(ky.gram);
    return { value: NaN, hsic: { xy: NaN, xx: kx.gram ? NaN : 0, yy: ky.gram ? NaN : 0 }, dead: true, form: 'gram' };
  }
  try {
    return result(await hsicTriple(b, kx.gram, ky.gram, x.n, unbiased), 'gram');
  } finally {
    b.free(kx.gram);
    b.free(ky.gram);
  }
}

export interface HsicOptions {
  /** HSIC_1 (true) or HSIC_0 (false, default). */
  unbiased?: boolean;
  kernel?: 'linear' | 'rbf';
  threshold?: number;
}

/** HSIC_0 or HSIC_1 of two feature matrices with a linear or RBF kernel. */
export async function hsic(X: Tensor, Y: Tensor, opts: HsicOptions = {}): Promise<number> {
  const r = opts.kernel === 'rbf'
    ? await rbfCka(X, Y, { threshold: opts.threshold, debiased: opts.unbiased })
    : await linearCka(X, Y, { debiased: opts.unbiased, form: 'gram' });
  return r.hsic.xy;
}
