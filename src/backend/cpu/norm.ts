import type { NormOps } from '../norm.js';
import type { NormGeom } from '../../types.js';

/**
 * The float64 reference for batch normalisation: the formulas of src/backend/norm.ts as loops,
 * written for clarity (two passes for the variance, like the kernel, but in float64).
 */

/** Calls fn(address, channel) for every element of an NCHW tensor. */
function forEach(g: NormGeom, fn: (a: number, c: number) => void): void {
  for (let n = 0; n < g.N; n++)
    for (let c = 0; c < g.C; c++)
      for (let i = 0; i < g.HW; i++) fn((n * g.C + c) * g.HW + i, c);
}

/** Per-channel sums of f(address, channel). */
function channelSums(g: NormGeom, f: (a: number, c: number) => number): Float64Array {
  const s = new Float64Array(g.C);
  forEach(g, (a, c) => (s[c]! += f(a, c)));
  return s;
}

const invStd = (variance: Float64Array, c: number, eps: number): number => 1 / Math.sqrt(variance[c]! + eps);

export const cpuNorm: NormOps<Float64Array> = {
  batchNormStats(x, runningMean, runningVar, g, momentum) {
    const m = g.N * g.HW;
    const mean = channelSums(g, (a) => x[a]!).map((s) => s / m);
    const variance = channelSums(g, (a, c) => (x[a]! - mean[c]!) ** 2).map((s) => s / m);
    for (let c = 0; c < g.C; c++) {
      runningMean[c] = (1 - momentum) * runningMean[c]! + momentum * mean[c]!;
      runningVar[c] = (1 - momentum) * runningVar[c]! + (momentum * variance[c]! * m) / (m - 1);
    }
    return [mean, variance];
  },
  batchNormForward(x, mean, variance, gamma, beta, g, eps) {
    const y = new Float64Array(x.length);
    forEach(g, (a, c) => (y[a] = (x[a]! - mean[c]!) * invStd(variance, c, eps) * gamma[c]! + beta[c]!));
    return y;
  },
  batchNormGradSums(x, gy, mean, variance, g, eps) {
    return [channelSums(g, (a) => gy[a]!), channelSums(g, (a, c) => gy[a]! * (x[a]! - mean[c]!) * invStd(variance, c, eps))];
  },
  batchNormInputGrad(x, gy, mean, variance, gamma, sumGy, sumGyXhat, g, eps) {
    const m = g.N * g.HW;
    const dx = new Float64Array(x.length);
    forEach(g, (a, c) => {
      const inv = invStd(variance, c, eps);
      const xhat = (x[a]! - mean[c]!) * inv;
      dx[a] = gamma[c]! * inv * (gy[a]! - sumGy[c]! / m - (xhat * sumGyXhat[c]!) / m);
    });
    return dx;
  },
  batchNormInputGradEval(gy, variance, gamma, g, eps) {
    const dx = new Float64Array(gy.length);
    forEach(g, (a, c) => (dx[a] = gamma[c]! * invStd(variance, c, eps) * gy[a]!));
    return dx;
  },
};
