import type { OptimOps } from '../optim.js';

/** Optimizer updates in float64, written as the formulas in backend/optim.ts read: the oracle. */
export const cpuOptim: OptimOps<Float64Array> = {
  sgdStep(p, g, m, n, h) {
    for (let i = 0; i < n; i++) {
      const d = g[i]! + h.weightDecay * p[i]!;
      let step = d;
      if (m && h.momentum !== 0) {
        const buf = h.first ? d : h.momentum * m[i]! + (1 - h.dampening) * d;
        m[i] = buf;
        step = h.nesterov ? d + h.momentum * buf : buf;
      }
      p[i] = p[i]! - h.lr * step;
    }
  },
  adamStep(p, g, m, v, n, h) {
    const bc1 = 1 - h.beta1 ** h.t;
    const bc2 = 1 - h.beta2 ** h.t;
    for (let i = 0; i < n; i++) {
      let pi = p[i]!;
      let gi = g[i]!;
      if (h.decoupled) pi *= 1 - h.lr * h.weightDecay;
      else gi += h.weightDecay * pi;
      m[i] = h.beta1 * m[i]! + (1 - h.beta1) * gi;
      v[i] = h.beta2 * v[i]! + (1 - h.beta2) * gi * gi;
      const mHat = m[i]! / bc1;
      const vHat = v[i]! / bc2;
      p[i] = pi - (h.lr * mHat) / (Math.sqrt(vHat) + h.eps);
    }
  },
};
