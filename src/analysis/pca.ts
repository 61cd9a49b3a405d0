/**
 * The share of a layer's variance carried by its first principal component (methods.md §5.1: Nguyen
 * et al. tie CKA block structure to one dominant component). For column-centred features Xc [n, p]
 * the Gram matrix K = Xc·Xcᵀ has the squared singular values of Xc as eigenvalues, so
 *
 *   fraction = λ₁(K) / trace(K),
 *
 * and only the n × n Gram matrix is needed, whatever p is. λ₁ comes from power iteration in float64.
 */
import { ValueError } from '../errors.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { FeatureMatrix } from './feature-matrix.js';

export interface TopEigen {
  value: number;
  iterations: number;
  /** False when the Rayleigh quotient still moved by more than the tolerance at the last iteration
   *  (a tiny gap λ₁ ≈ λ₂; the value is then a lower bound of λ₁, and the fraction is small anyway). */
  converged: boolean;
}

/**
 * Largest eigenvalue of a symmetric positive semi-definite n × n matrix (row-major) by power
 * iteration from a seeded random vector (never the all-ones vector: a centred Gram matrix maps it to
 * zero). Stops when the Rayleigh quotient changes by at most `tol` relative, or after `maxIter`.
 */
export function topEigenvalue(k: ArrayLike<number>, n: number, opts: { tol?: number; maxIter?: number } = {}): TopEigen {
  if (k.length !== n * n) throw new ValueError(`topEigenvalue: expected ${n * n} entries for a ${n} x ${n} matrix, got ${k.length}`);
  const tol = opts.tol ?? 1e-10;
  const maxIter = opts.maxIter ?? 1000;
  let v: Float64Array = Float64Array.from(new Rng(0x9c).fillNormal(n));
  let w: Float64Array = new Float64Array(n);
  const normalise = (x: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
    const norm = Math.sqrt(s);
    if (norm > 0) for (let i = 0; i < n; i++) x[i]! /= norm;
    return norm;
  };
  normalise(v);
  let value = 0;
  for (let it = 1; it <= maxIter; it++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += k[i * n + j]! * v[j]!;
      w[i] = s;
    }
    let rayleigh = 0;
    for (let i = 0; i < n; i++) rayleigh += v[i]! * w[i]!;
    if (normalise(w) === 0) return { value: 0, iterations: it, converged: true }; // K v = 0: the zero matrix
    if (Math.abs(rayleigh - value) <= tol * Math.abs(rayleigh)) return { value: rayleigh, iterations: it, converged: true };
    value = rayleigh;
    [v, w] = [w, v];
  }
  return { value, iterations: maxIter, converged: false };
}

/** λ₁ / trace of a Gram matrix of centred features; NaN for a dead layer (trace 0). */
export function firstPcFractionOfGram(k: ArrayLike<number>, n: number): number {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += k[i * n + i]!;
  if (!(trace > 0)) return NaN;
  return topEigenvalue(k, n).value / trace;
}

/** Fraction of the variance of X's rows (examples × features) along their first principal component. */
export async function firstPcFraction(X: Tensor | FeatureMatrix): Promise<number> {
  const { f, owned } = FeatureMatrix.of('firstPcFraction', X);
  try {
    if (f.n < 2) throw new ValueError(`firstPcFraction: needs at least 2 examples (rows), got ${f.n}`);
    return firstPcFractionOfGram(await f.gram().data(), f.n);
  } finally {
    if (owned) f.dispose();
  }
}
