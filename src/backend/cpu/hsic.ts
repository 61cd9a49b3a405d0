import type { HsicOps } from '../hsic.js';
import { padTo4 } from '../../types.js';

/**
 * The float64 oracle of the HSIC family: the formulas of methods.md §1 written out directly.
 * It keeps the GPU contract (padded centred features, partial sums) so callers cannot tell them apart.
 */
function columnMeans(x: Float64Array, n: number, p: number, ld: number): Float64Array {
  const m = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) m[j]! += x[i * ld + j]!;
  for (let j = 0; j < p; j++) m[j]! /= n;
  return m;
}

/** K − (r − g)·1ᵀ − 1·(r − g)ᵀ, optionally with a zero diagonal. */
function shift(k: Float64Array, n: number, r: Float64Array, g: number, zeroDiag: boolean): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = zeroDiag && i === j ? 0 : k[i * n + j]! - (r[i]! - g) - (r[j]! - g);
  }
  return out;
}

export const cpuHsic: HsicOps<Float64Array> = {
  centerColumns(x, n, p) {
    // Two passes, as on the GPU: subtract the mean, then the mean of the residuals.
    const ld = padTo4(p);
    const m = columnMeans(x, n, p, p);
    const out = new Float64Array(n * ld);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) out[i * ld + j] = x[i * p + j]! - m[j]!;
    const m2 = columnMeans(out, n, p, ld);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) out[i * ld + j]! -= m2[j]!;
    return out;
  },
  gram(x, n, ld) {
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let t = 0; t < ld; t++) s += x[i * ld + t]! * x[j * ld + t]!;
        k[i * n + j] = s;
        k[j * n + i] = s;
      }
    }
    return k;
  },
  sqDistFromGram(k, n) {
    const d = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) d[i * n + j] = i === j ? 0 : Math.max(k[i * n + i]! + k[j * n + j]! - 2 * k[i * n + j]!, 0);
    }
    return d;
  },
  rbfFromSqDist(d, _n, median, threshold) {
    const m = median[0]!;
    if (!(m > 0)) return new Float64Array(d.length);
    const gamma = 1 / (2 * threshold * threshold * m);
    return d.map((v) => Math.exp(-gamma * v));
  },
  uCenter(k, n) {
    // §1.3: K̃ = K with a zero diagonal; r_j = Σ_i K̃_ij / (n − 2); r ← r − Σr / (2(n − 1)).
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) r[j]! += k[i * n + j]!;
    let total = 0;
    for (let j = 0; j < n; j++) {
      r[j]! /= n - 2;
      total += r[j]!;
    }
    return shift(k, n, r, total / (2 * (n - 1)), true);
  },
  doubleCenter(k, n) {
    const m = columnMeans(k, n, n, n);
    let total = 0;
    for (let j = 0; j < n; j++) total += m[j]!;
    return shift(k, n, m, total / (2 * n), false);
  },
  dotPartials(a, ra, b, rb, len) {
    const out = new Float64Array(ra * rb);
    for (let i = 0; i < ra; i++) {
      for (let j = 0; j < rb; j++) {
        let s = 0;
        for (let t = 0; t < len; t++) s += a[i * len + t]! * b[j * len + t]!;
        out[i * rb + j] = s;
      }
    }
    return { partials: out, chunks: 1 };
  },
};
