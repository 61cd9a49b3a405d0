import type { AttackOps } from '../attack.js';

const clip01 = (v: number): number => Math.min(Math.max(v, 0), 1);
const sign = (v: number): number => (v > 0 ? 1 : v < 0 ? -1 : 0);

/** The float64 oracle of the fused attack steps, written as the formulas of methods.md §2.1. */
export const cpuAttack: AttackOps<Float64Array> = {
  linfStep(x0, x, g, n, alpha, eps) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const delta = Math.min(Math.max(x[i]! + alpha * sign(g[i]!) - x0[i]!, -eps), eps);
      out[i] = clip01(x0[i]! + delta);
    }
    return out;
  },
  l2Step(x0, x, g, rows, d, alpha, eps) {
    const out = new Float64Array(rows * d);
    const delta = new Float64Array(d);
    for (let r = 0; r < rows; r++) {
      const base = r * d;
      let gg = 0;
      for (let j = 0; j < d; j++) gg += g[base + j]! ** 2;
      const scale = alpha / (Math.sqrt(gg) + 1e-10);
      let dd = 0;
      for (let j = 0; j < d; j++) {
        delta[j] = x[base + j]! + scale * g[base + j]! - x0[base + j]!;
        dd += delta[j]! ** 2;
      }
      const norm = Math.sqrt(dd);
      const shrink = norm > eps ? eps / norm : 1;
      for (let j = 0; j < d; j++) out[base + j] = clip01(x0[base + j]! + delta[j]! * shrink);
    }
    return out;
  },
};
