import { contiguousStrides, type ReduceOp, type View } from '../types.js';
import { record, type VjpTable } from '../autograd/tape.js';
import type { Tensor } from '../tensor.js';
import { abs, div, eq, exp, log, mul, sub, square, add, where } from './elementwise.js';
import { scalarLike } from './creation.js';
import { broadcastTo, reshape } from './layout.js';
import { tidy } from '../engine.js';
import { normAxes, requireFloat, sameShape, wrap } from './util.js';

interface ReduceParams {
  readonly axes: number[];
  readonly keepShape: number[]; // the input shape with reduced axes set to 1
}

/** Split a contiguous shape into the kept and the reduced axes, as two views of one storage. */
function splitViews(shape: readonly number[], axes: number[]): { kept: View; red: View } {
  const strides = contiguousStrides(shape);
  const keptAxes = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  return {
    kept: { shape: keptAxes.map((i) => shape[i]!), strides: keptAxes.map((i) => strides[i]!), offset: 0 },
    red: { shape: axes.map((i) => shape[i]!), strides: axes.map((i) => strides[i]!), offset: 0 },
  };
}

function reduceOp(op: ReduceOp, x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  requireFloat(op, x);
  const ax = normAxes(op, x.rank, axes);
  const keepShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const outShape = keepDims ? keepShape : x.shape.filter((_, i) => !ax.includes(i));
  const { kept, red } = splitViews(x.shape, ax);
  const be = x.backend;
  // A reduction over nothing (size-1 axes only) still runs, so the result is a fresh tensor.
  const out = wrap(outShape, 'float32', be, be.reduce(op, x.storage(op), kept, red));
  record(op === 'sum' ? 'sum' : op, reduceVjp[op], [x], out, { axes: ax, keepShape } satisfies ReduceParams);
  return out;
}

const reduceVjp = {
  // d Σx = broadcast(g)
  sum: (g, [x], _y, p: ReduceParams) => [broadcastTo(reshape(g, p.keepShape), x!.shape)],
  // The gradient of max goes to the maximal entries, split evenly between ties.
  max: (g, [x], y, p: ReduceParams) => [extremumGrad(g, x!, y, p)],
  min: (g, [x], y, p: ReduceParams) => [extremumGrad(g, x!, y, p)],
} satisfies VjpTable<ReduceOp>;

function extremumGrad(g: Tensor, x: Tensor, y: Tensor, p: ReduceParams): Tensor {
  const mask = eq(x, reshape(y, p.keepShape));
  const count = reduceOp('sum', mask, p.axes, true);
  return mul(div(mask, count), reshape(g, p.keepShape));
}

export const sum = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduceOp('sum', x, axes, keepDims);
export const max = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduceOp('max', x, axes, keepDims);
export const min = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduceOp('min', x, axes, keepDims);

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  requireFloat('mean', x); // composites check up front, so errors name them and not an inner op
  const ax = normAxes('mean', x.rank, axes);
  const n = ax.reduce((acc, a) => acc * x.shape[a]!, 1);
  return tidy(() => mul(sum(x, ax, keepDims), 1 / n));
}

/** Population variance (divides by n) over the axes; pass `correction: 1` for the sample variance. */
export function variance(x: Tensor, axes?: number | readonly number[], keepDims = false, correction = 0): Tensor {
  requireFloat('variance', x);
  const ax = normAxes('variance', x.rank, axes);
  const n = ax.reduce((acc, a) => acc * x.shape[a]!, 1);
  return tidy(() => {
    const centred = sub(x, mean(x, ax, true));
    return mul(sum(square(centred), ax, keepDims), 1 / Math.max(1, n - correction));
  });
}

/**
 * log Σ exp(x), stabilised by the (gradient-free) maximum. An infinite maximum shifts by 0 instead
 * (as PyTorch): a row holding +Inf gives +Inf, a row of −Inf gives −Inf, not Inf − Inf = NaN.
 */
export function logsumexp(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  requireFloat('logsumexp', x);
  const ax = normAxes('logsumexp', x.rank, axes);
  return tidy(() => {
    const m0 = max(x, ax, true);
    const m = where(eq(abs(m0), Infinity), scalarLike(m0, 0), m0);
    // The max only shifts the argument; its gradient contributions cancel exactly.
    const lse = add(log(sum(exp(sub(x, m)), ax, true)), m);
    return keepDims ? lse : reshape(lse, x.shape.filter((_, i) => !ax.includes(i)));
  });
}

/** Index of the maximum along one axis (int32, no gradient). */
export function argmax(x: Tensor, axis = -1): Tensor {
  requireFloat('argmax', x);
  const ax = normAxes('argmax', x.rank, axis);
  const { kept, red } = splitViews(x.shape, ax);
  const be = x.backend;
  return wrap(kept.shape, 'int32', be, be.argmax(x.storage('argmax'), kept, red));
}

/** Sum a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  return reshape(s, shape);
}
