/**
 * HSIC building blocks on a backend's storage (methods.md §1.1–§1.3). The kernels centre, form and
 * centre Gram matrices; inner products come back as partial sums that are added here in float64, and
 * every division and square root is JS float64 arithmetic (§1.9.2).
 */
import type { Backend } from '../backend/types.js';
import { padTo4 } from '../types.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { fullMedian } from '../backend/cpu/select.js';

export { fullMedian };

export type AnyBackend = Backend<any>;

/** A 2-D feature matrix in backend storage: n examples (rows) × p features. */
export interface Features {
  readonly backend: AnyBackend;
  readonly storage: unknown;
  readonly n: number;
  readonly p: number;
}

/** View a 2-D float32 tensor as a feature matrix (rows are examples). */
export function featuresOf(op: string, t: Tensor): Features {
  if (t.rank !== 2) throw new ShapeError(`${op}: features must be 2-D [examples, features], got ${fmtShape(t.shape)}; flatten each example first (reshape(x, [n, -1]))`);
  if (t.dtype !== 'float32') throw new ValueError(`${op}: features must be float32, got ${t.dtype}`);
  return { backend: t.backend, storage: t.storage(op), n: t.shape[0]!, p: t.shape[1]! };
}

export function checkPair(op: string, x: Features, y: Features, minRows: number): void {
  if (x.backend !== y.backend) throw new ValueError(`${op}: the two feature matrices live on different backends (${x.backend.kind}, ${y.backend.kind})`);
  if (x.n !== y.n) {
    throw new ShapeError(`${op}: the feature matrices have ${x.n} and ${y.n} rows; rows are examples and must be paired (same inputs, same order, §1.9.7)`);
  }
  if (x.n < minRows) throw new ValueError(`${op}: needs at least ${minRows} examples, got ${x.n} (HSIC_1 divides by n − 3)`);
}

/** Sum a list of partial sums in float64 (pairwise, for the few thousand values it sees). */
function pairwiseSum(v: ArrayLike<number>, lo: number, hi: number): number {
  if (hi - lo <= 16) {
    let s = 0;
    for (let i = lo; i < hi; i++) s += v[i]!;
    return s;
  }
  const mid = (lo + hi) >> 1;
  return pairwiseSum(v, lo, mid) + pairwiseSum(v, mid, hi);
}

/** <a_i, b_j> for all row pairs of a [ra, len] and b [rb, len], as an ra×rb float64 matrix. */
export async function innerProducts(b: AnyBackend, a: unknown, ra: number, bb: unknown, rb: number, len: number): Promise<Float64Array> {
  const { partials, chunks } = b.dotPartials(a, ra, bb, rb, len);
  let raw: ArrayLike<number>;
  try {
    raw = await b.read(partials, ra * rb * chunks, 'float32');
  } finally {
    b.free(partials);
  }
  const out = new Float64Array(ra * rb);
  for (let k = 0; k < ra * rb; k++) out[k] = pairwiseSum(raw, k * chunks, (k + 1) * chunks);
  return out;
}

/** The linear Gram matrix of the column-centred features (centred first: §1.9.1). */
export function linearGram(x: Features): unknown {
  const b = x.backend;
  const xc = b.centerColumns(x.storage, x.n, x.p);
  try {
    return b.gram(xc, x.n, padTo4(x.p));
  } finally {
    b.free(xc);
  }
}

/**
 * The RBF Gram matrix exp(−D / (2 t² m)) with m the full-matrix median of the squared distances D.
 * Returns null when m is 0 (at least half the pairs coincide): the bandwidth is undefined, a dead layer.
 */
export async function rbfGram(x: Features, threshold: number): Promise<{ gram: unknown | null; median: number }> {
  if (!(threshold > 0)) throw new ValueError(`rbfCka: threshold must be > 0 (a fraction of the median distance), got ${threshold}`);
  const b = x.backend;
  const k = linearGram(x);
  const d = b.sqDistFromGram(k, x.n);
  b.free(k);
  let median: number;
  try {
    median = fullMedian(await b.read(d, x.n * x.n, 'float32'));
  } catch (e) {
    b.free(d);
    throw e;
  }
  if (!(median > 0)) {
    b.free(d);
    return { gram: null, median };
  }
  const g = b.rbfFromSqDist(d, x.n, 1 / (2 * threshold * threshold * median));
  b.free(d);
  return { gram: g, median };
}

/** The centred Gram matrix for HSIC_1 (U-centred, §1.3) or HSIC_0 (double-centred, §1.2). */
export function centreGram(b: AnyBackend, k: unknown, n: number, unbiased: boolean): unknown {
  return unbiased ? b.uCenter(k, n) : b.doubleCenter(k, n);
}

/** The normaliser of <K', L'>_F: n(n−3) for HSIC_1, (n−1)² for HSIC_0. */
export function hsicDenominator(n: number, unbiased: boolean): number {
  return unbiased ? n * (n - 3) : (n - 1) * (n - 1);
}

/** HSIC values of a pair of Gram matrices: cross and both self terms. */
export interface HsicTriple {
  xy: number;
  xx: number;
  yy: number;
}

/** Centre K and L and return the three HSIC values; frees nothing it was given. */
export async function hsicTriple(b: AnyBackend, k: unknown, l: unknown, n: number, unbiased: boolean): Promise<HsicTriple> {
  const kc = centreGram(b, k, n, unbiased);
  const lc = centreGram(b, l, n, unbiased);
  try {
    const [xy, xx, yy] = await Promise.all([
      innerProducts(b, kc, 1, lc, 1, n * n),
      innerProducts(b, kc, 1, kc, 1, n * n),
      innerProducts(b, lc, 1, lc, 1, n * n),
    ]);
    const z = hsicDenominator(n, unbiased);
    return { xy: xy[0]! / z, xx: xx[0]! / z, yy: yy[0]! / z };
  } finally {
    b.free(kc);
    b.free(lc);
  }
}

/** cross / sqrt(selfX · selfY), NaN when a self term is ≤ 0 (a dead layer: never divided by, §1.9.4). */
export function ratio(cross: number, selfX: number, selfY: number): number {
  if (!(selfX > 0) || !(selfY > 0)) return NaN;
  return cross / Math.sqrt(selfX * selfY);
}
