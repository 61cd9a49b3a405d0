import type { Vjp } from '../autograd/tape.js';
import type { Tensor } from '../tensor.js';
import { abs, div, eq, exp, log, mul, sub, square, add, where } from './elementwise.js';
import { scalarLike } from './creation.js';
import { sum } from './broadcast.js';
import { reshape } from './layout.js';
import { tidy } from '../engine.js';
import { reduceOp, splitViews, type ReduceParams } from './reduction.js';
import { normAxes, requireFloat, wrap } from './util.js';

// Reductions above elementwise: max and min (their rules compare and divide), the composites built
// from sum and elementwise ops, and argmax. sum and sumTo live with broadcastTo (broadcast.ts),
// below elementwise; they are exported here too, so that the reduce family is one import.
export { sum, sumTo } from './broadcast.js';

// The gradient of max and min goes to the extremal entries, split evenly between ties.
const extremumVjp: Vjp<ReduceParams> = (g, [x], y, p) => {
  const mask = eq(x!, reshape(y, p.keepShape));
  const count = sum(mask, p.axes, true);
  return [mul(div(mask, count), reshape(g, p.keepShape))];
};

export const max = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduceOp('max', extremumVjp, x, axes, keepDims);
export const min = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduceOp('min', extremumVjp, x, axes, keepDims);

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
