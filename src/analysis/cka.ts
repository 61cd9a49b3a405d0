/**
 * CKA estimators (methods.md §1.4–§1.5): linear CKA in Gram or feature form, debiased CKA (HSIC_1)
 * in both forms, RBF CKA with the full-matrix median heuristic. Inputs are 2-D float32 tensors whose
 * rows are paired examples, or FeatureMatrix objects: give the same FeatureMatrix to several
 * estimators and they share its centred features, Gram matrix, distances and median. A layer whose
 * self-HSIC is ≤ 0 (dead or constant) gives NaN and `dead`.
 */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { FeatureMatrix } from './feature-matrix.js';
import { checkPair, featureHsic, gramHsic, ratio, type HsicTriple } from './hsic.js';

export interface CkaValue {
  /** CKA, or NaN when either side is dead. */
  value: number;
  /** HSIC(X, Y), HSIC(X, X), HSIC(Y, Y) with the estimator used (HSIC_0 or HSIC_1). */
  hsic: HsicTriple;
  /** true when a self-HSIC is ≤ 0 (for RBF also when the median distance is 0): no similarity defined. */
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

/** Features as the estimators take them. */
export type FeaturesLike = Tensor | FeatureMatrix;

function result(h: HsicTriple, form: 'gram' | 'feature'): CkaValue {
  const value = ratio(h.xy, h.xx, h.yy);
  return { value, hsic: h, dead: Number.isNaN(value) && !Number.isNaN(h.xy), form };
}

/** FLOPs of each form: the symmetric Gram kernel does n²(p + q)/2 FMAs, the feature form n(pq + p² + q²). */
export function cheaperForm(n: number, p: number, q: number): 'gram' | 'feature' {
  return n * (p * q + p * p + q * q) < (n * n * (p + q)) / 2 ? 'feature' : 'gram';
}

/**
 * Run `fn` on the FeatureMatrix objects of X and Y (the same object when X and Y are the same), made
 * here for tensors and disposed afterwards; FeatureMatrix arguments stay the caller's.
 */
export async function withFeatures<R>(op: string, X: FeaturesLike, Y: FeaturesLike, minRows: number, fn: (x: FeatureMatrix, y: FeatureMatrix) => Promise<R>): Promise<R> {
  const fx = FeatureMatrix.of(op, X);
  let fy: { f: FeatureMatrix; owned: boolean } = { f: fx.f, owned: false };
  try {
    if (Y !== X) fy = FeatureMatrix.of(op, Y);
    checkPair(op, fx.f, fy.f, minRows);
    return await fn(fx.f, fy.f);
  } finally {
    if (fx.owned) fx.f.dispose();
    if (fy.owned) fy.f.dispose();
  }
}

/** Linear CKA (biased, HSIC_0) or debiased linear CKA (HSIC_1) of two feature matrices. */
export function linearCka(X: FeaturesLike, Y: FeaturesLike, opts: LinearCkaOptions = {}): Promise<CkaValue> {
  const unbiased = opts.debiased ?? false;
  const op = unbiased ? 'debiasedCka' : 'linearCka';
  return withFeatures(op, X, Y, unbiased ? 4 : 2, async (x, y) => {
    const form = !opts.form || opts.form === 'auto' ? cheaperForm(x.n, x.p, y.p) : opts.form;
    if (form !== 'gram' && form !== 'feature') throw new ValueError(`${op}: form must be 'auto', 'gram' or 'feature', got '${String(form)}'`);
    const h = form === 'gram' ? await gramHsic(x.gram(), y.gram(), unbiased) : await featureHsic(x, y, unbiased);
    return result(h, form);
  });
}

/** Debiased linear CKA (§1.5): linearCka with HSIC_1. */
export const debiasedCka = (X: FeaturesLike, Y: FeaturesLike, opts: Omit<LinearCkaOptions, 'debiased'> = {}): Promise<CkaValue> =>
  linearCka(X, Y, { ...opts, debiased: true });

export interface RbfCkaOptions {
  /** Bandwidth as a fraction of the median distance: σ² = t²·median(D) (§1.1). Default 1.0. */
  threshold?: number;
  /** Use HSIC_1 instead of HSIC_0. Default false. */
  debiased?: boolean;
}

/**
 * RBF CKA with the full-matrix median heuristic (diagonal zeros included, §1.1). The median is found
 * on the device and the RBF kernel reads it there: the n × n distances are never read back. A median
 * of 0 (at least half the pairs coincide) gives an all-zero kernel, hence a dead layer.
 */
export function rbfCka(X: FeaturesLike, Y: FeaturesLike, opts: RbfCkaOptions = {}): Promise<CkaValue> {
  const unbiased = opts.debiased ?? false;
  const t = opts.threshold ?? 1;
  if (!(t > 0 && Number.isFinite(t))) return Promise.reject(new ValueError(`rbfCka: threshold must be a finite number > 0 (a fraction of the median distance), got ${t}`));
  return withFeatures('rbfCka', X, Y, unbiased ? 4 : 2, async (x, y) => {
    const kx = x.rbfGram(t);
    const ky = y === x ? kx : y.rbfGram(t);
    try {
      return result(await gramHsic(kx, ky, unbiased), 'gram');
    } finally {
      kx.dispose();
      if (ky !== kx) ky.dispose();
    }
  });
}

export interface HsicOptions {
  /** HSIC_1 (true) or HSIC_0 (false, default). */
  unbiased?: boolean;
  kernel?: 'linear' | 'rbf';
  threshold?: number;
}

/** HSIC_0 or HSIC_1 of two feature matrices with a linear or RBF kernel. */
export async function hsic(X: FeaturesLike, Y: FeaturesLike, opts: HsicOptions = {}): Promise<number> {
  const r = opts.kernel === 'rbf'
    ? await rbfCka(X, Y, { threshold: opts.threshold, debiased: opts.unbiased })
    : await linearCka(X, Y, { debiased: opts.unbiased, form: 'gram' });
  return r.hsic.xy;
}
