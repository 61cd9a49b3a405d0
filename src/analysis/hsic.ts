/**
 * HSIC from shared feature matrices (methods.md §1.2–§1.5): the Gram form (centre both kernel
 * matrices, three Frobenius inner products) and the feature form (norms of cross products). The
 * partial sums come back from the device and are added in float64; every division and square root
 * is JS float64 arithmetic (§1.9.2).
 */
import { noGrad } from '../autograd/tape.js';
import { ShapeError, ValueError } from '../errors.js';
import { doubleCenter, frobeniusInner, uCenter } from '../ops/hsic.js';
import type { Tensor } from '../tensor.js';
import type { FeatureMatrix } from './feature-matrix.js';

/** HSIC values of a pair of kernel matrices: cross and both self terms. */
export interface HsicTriple {
  xy: number;
  xx: number;
  yy: number;
}

export function checkPair(op: string, x: FeatureMatrix, y: FeatureMatrix, minRows: number): void {
  if (x.backend !== y.backend) throw new ValueError(`${op}: the two feature matrices live on different backends (${x.backend.kind}, ${y.backend.kind})`);
  if (x.n !== y.n) {
    throw new ShapeError(`${op}: the feature matrices have ${x.n} and ${y.n} rows; rows are examples and must be paired (same inputs, same order, §1.9.7)`);
  }
  if (x.n < minRows) throw new ValueError(`${op}: needs at least ${minRows} examples, got ${x.n} (HSIC_1 divides by n − 3)`);
}

/** The normaliser of <K', L'>_F: n(n−3) for HSIC_1, (n−1)² for HSIC_0. */
export function hsicDenominator(n: number, unbiased: boolean): number {
  return unbiased ? n * (n - 3) : (n - 1) * (n - 1);
}

/** The centred kernel matrix for HSIC_1 (U-centred, §1.3) or HSIC_0 (double-centred, §1.2). */
export function centreGram(k: Tensor, unbiased: boolean): Tensor {
  return noGrad(() => (unbiased ? uCenter(k) : doubleCenter(k)));
}

/** Centre the n × n kernel matrices K and L (once when they are the same) and return the three HSIC values. */
export async function gramHsic(k: Tensor, l: Tensor, unbiased: boolean): Promise<HsicTriple> {
  const n = k.shape[0]!;
  const kc = centreGram(k, unbiased);
  const lc = l === k ? kc : centreGram(l, unbiased);
  try {
    const [xy, xx, yy] = await Promise.all([frobeniusInner(kc, lc), frobeniusInner(kc, kc), lc === kc ? null : frobeniusInner(lc, lc)]);
    const z = hsicDenominator(n, unbiased);
    return { xy: xy / z, xx: xx / z, yy: (yy ?? xx) / z };
  } finally {
    kc.dispose();
    if (lc !== kc) lc.dispose();
  }
}

/**
 * Feature form (Kornblith's feature_space_linear_cka and _debiased_dot_product_similarity_helper):
 * HSIC_0 = ||YᵀX||²/(n−1)², and HSIC_1 = S/(n(n−3)) with
 * S = ||YᵀX||² − n/(n−2)·Σ a_i b_i + A·B/((n−1)(n−2)) for row squared norms a, b (§1.5).
 */
export async function featureHsic(x: FeatureMatrix, y: FeatureMatrix, unbiased: boolean): Promise<HsicTriple> {
  const n = x.n;
  const [xy, xx, yy] = await Promise.all([x.crossNorm2(y), x.selfNorm2(), y.selfNorm2()]);
  const z = hsicDenominator(n, unbiased);
  if (!unbiased) return { xy: xy / z, xx: xx / z, yy: yy / z };
  const [a, c] = await Promise.all([x.rowSquaredNorms(), y.rowSquaredNorms()]);
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
}

/** cross / sqrt(selfX · selfY), NaN when a self term is ≤ 0 (a dead layer: never divided by, §1.9.4). */
export function ratio(cross: number, selfX: number, selfY: number): number {
  if (!(selfX > 0) || !(selfY > 0)) return NaN;
  return cross / Math.sqrt(selfX * selfY);
}
