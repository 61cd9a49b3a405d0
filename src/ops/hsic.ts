/**
 * HSIC building blocks on Tensors (methods.md §1.1–§1.3): column centring, the symmetric Gram
 * matrix, squared distances from a Gram matrix, the RBF kernel with its bandwidth kept on the device,
 * U-centring and double centring, and Frobenius inner products whose partial sums are added on the
 * host in float64 (§1.9.2). No gradients: the estimators that use them return plain numbers, so
 * these ops refuse inputs that a `valueAndGrad` is tracing instead of silently dropping a gradient.
 */
import { padTo4 } from '../types.js';
import { isTracked } from '../autograd/tape.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { reshape } from './layout.js';
import { backendOf, checkAlloc, requireFloat, wrap } from './util.js';

function untracked(op: string, ...ts: Tensor[]): void {
  requireFloat(op, ...ts);
  if (ts.some(isTracked)) {
    throw new ValueError(`${op}: the HSIC ops have no gradient, and an input is being traced by valueAndGrad; compute CKA/HSIC under noGrad() or on features captured without gradients`);
  }
}

function square(op: string, k: Tensor): number {
  if (k.rank !== 2 || k.shape[0] !== k.shape[1]) throw new ShapeError(`${op}: needs a square n × n Gram matrix, got ${fmtShape(k.shape)}`);
  return k.shape[0]!;
}

/**
 * x [n, p] minus its column means, in two passes (the second removes the rounding error of the first
 * mean, §1.9.1), as [n, padTo4(p)]: the padding columns are 0 so that `gram` can read vec4s.
 */
export function centerColumns(x: Tensor): Tensor {
  untracked('centerColumns', x);
  if (x.rank !== 2) throw new ShapeError(`centerColumns: features must be 2-D [examples, features], got ${fmtShape(x.shape)}; flatten each example first (reshape(x, [n, -1]))`);
  const [n, p] = x.shape as [number, number];
  const be = x.backend;
  checkAlloc('centerColumns', [n, padTo4(p)], be);
  return wrap([n, padTo4(p)], 'float32', be, be.centerColumns(x.storage('centerColumns'), n, p));
}

/** K = X·Xᵀ of X [n, ld] (ld a multiple of 4, as centerColumns returns it): exactly symmetric n × n. */
export function gram(x: Tensor): Tensor {
  untracked('gram', x);
  if (x.rank !== 2 || x.shape[1]! % 4 !== 0) {
    throw new ShapeError(`gram: needs [n, ld] with ld a multiple of 4 (the output of centerColumns), got ${fmtShape(x.shape)}`);
  }
  const [n, ld] = x.shape as [number, number];
  const be = x.backend;
  checkAlloc('gram', [n, n], be);
  return wrap([n, n], 'float32', be, be.gram(x.storage('gram'), n, ld));
}

/** D_ij = max(K_ii + K_jj − 2 K_ij, 0) with an exactly zero diagonal (§1.1, §1.9.6). */
export function sqDistFromGram(k: Tensor): Tensor {
  untracked('sqDistFromGram', k);
  const n = square('sqDistFromGram', k);
  return wrap([n, n], 'float32', k.backend, k.backend.sqDistFromGram(k.storage('sqDistFromGram'), n));
}

/**
 * numpy's median of all entries of x (zeros included; the mean of the two middle values for an even
 * count) as a one-element tensor that stays on the device: no readback.
 */
export function medianOfAll(x: Tensor): Tensor {
  untracked('medianOfAll', x);
  return wrap([], 'float32', x.backend, x.backend.median(x.storage('medianOfAll'), x.size));
}

/**
 * The RBF kernel K = exp(−D / (2·t²·m)) from squared distances D, with the bandwidth m taken from the
 * one-element `median` on the device (§1.1; t is the threshold). All zeros when m ≤ 0 (at least half
 * the pairs coincide: no bandwidth), which makes every self-HSIC 0, so the layer reads as dead.
 */
export function rbfFromSqDist(d: Tensor, median: Tensor, threshold: number): Tensor {
  untracked('rbfFromSqDist', d, median);
  const n = square('rbfFromSqDist', d);
  const be = backendOf('rbfFromSqDist', d, median);
  if (median.size !== 1) throw new ShapeError(`rbfFromSqDist: the median must be a one-element tensor (medianOfAll), got ${fmtShape(median.shape)}`);
  if (!(threshold > 0 && Number.isFinite(threshold))) throw new ValueError(`rbfFromSqDist: threshold must be a finite number > 0 (a fraction of the median distance), got ${threshold}`);
  return wrap([n, n], 'float32', be, be.rbfFromSqDist(d.storage('rbfFromSqDist'), n, median.storage('rbfFromSqDist'), threshold));
}

/** U-centring K → K^U (§1.3 steps 1–4): <K^U, L^U>_F / (n(n−3)) is HSIC_1. Needs n ≥ 4. */
export function uCenter(k: Tensor): Tensor {
  untracked('uCenter', k);
  const n = square('uCenter', k);
  if (n < 4) throw new ValueError(`uCenter: U-centring needs n ≥ 4 (HSIC_1 divides by n − 3), got n = ${n}`);
  return wrap([n, n], 'float32', k.backend, k.backend.uCenter(k.storage('uCenter'), n));
}

/** Double centring K → H·K·H by Kornblith's stable column-mean form (§1.2). */
export function doubleCenter(k: Tensor): Tensor {
  untracked('doubleCenter', k);
  const n = square('doubleCenter', k);
  return wrap([n, n], 'float32', k.backend, k.backend.doubleCenter(k.storage('doubleCenter'), n));
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

/**
 * <a_i, b_j> for every row i of a [ra, …] and row j of b [rb, …] (rows flattened, same length), as an
 * ra × rb float64 matrix. The device forms partial sums of at most a few thousand products; they
 * come back (a small readback) and are added here in float64.
 */
export async function innerProducts(a: Tensor, b: Tensor): Promise<Float64Array> {
  untracked('innerProducts', a, b);
  const be = backendOf('innerProducts', a, b);
  if (a.rank < 1 || b.rank < 1) throw new ShapeError(`innerProducts: needs row-major matrices [rows, …], got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const ra = a.shape[0]!;
  const rb = b.shape[0]!;
  const len = a.size / ra;
  if (b.size / rb !== len) throw new ShapeError(`innerProducts: rows of ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ in length (${len} vs ${b.size / rb})`);
  const { partials, chunks } = be.dotPartials(a.storage('innerProducts'), ra, b.storage('innerProducts'), rb, len);
  const t = wrap([ra * rb * chunks], 'float32', be, partials);
  t.origin = 'innerProducts';
  let raw: ArrayLike<number>;
  try {
    raw = await t.data();
  } finally {
    t.dispose();
  }
  const out = new Float64Array(ra * rb);
  for (let k = 0; k < ra * rb; k++) out[k] = pairwiseSum(raw, k * chunks, (k + 1) * chunks);
  return out;
}

/** <a, b>_F of two same-sized tensors (partial sums on the device, added on the host in float64). */
export async function frobeniusInner(a: Tensor, b: Tensor): Promise<number> {
  if (a.size !== b.size) throw new ShapeError(`frobeniusInner: ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ in size`);
  const fa = reshape(a, [1, a.size], false);
  const fb = b === a ? fa : reshape(b, [1, b.size], false);
  try {
    return (await innerProducts(fa, fb))[0]!;
  } finally {
    fa.dispose();
    if (fb !== fa) fb.dispose();
  }
}
