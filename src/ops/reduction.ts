import { contiguousStrides, type ReduceOp, type View } from '../types.js';
import { record, type Vjp } from '../autograd/tape.js';
import type { Tensor } from '../tensor.js';
import { normAxes, requireFloat, wrap } from './util.js';

// The machinery every reduction shares (views, axes, the recorded node); each family file passes
// its own rule, so that sum (with broadcastTo and sumTo) can sit below elementwise while max and
// min, whose rules compare and divide, sit above it.

export interface ReduceParams {
  readonly axes: number[];
  readonly keepShape: number[]; // the input shape with reduced axes set to 1
}

/** Split a contiguous shape into the kept and the reduced axes, as two views of one storage. */
export function splitViews(shape: readonly number[], axes: number[]): { kept: View; red: View } {
  const strides = contiguousStrides(shape);
  const keptAxes = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  return {
    kept: { shape: keptAxes.map((i) => shape[i]!), strides: keptAxes.map((i) => strides[i]!), offset: 0 },
    red: { shape: axes.map((i) => shape[i]!), strides: axes.map((i) => strides[i]!), offset: 0 },
  };
}

/** Reduce `x` over `axes` with the backend's `op` and record `rule` as its VJP. */
export function reduceOp(op: ReduceOp, rule: Vjp<ReduceParams>, x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  requireFloat(op, x);
  const ax = normAxes(op, x.rank, axes);
  const keepShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const outShape = keepDims ? keepShape : x.shape.filter((_, i) => !ax.includes(i));
  const { kept, red } = splitViews(x.shape, ax);
  const be = x.backend;
  // A reduction over nothing (size-1 axes only) still runs, so the result is a fresh tensor.
  const out = wrap(outShape, 'float32', be, be.reduce(op, x.storage(op), kept, red));
  record(op, rule, [x], out, { axes: ax, keepShape } satisfies ReduceParams);
  return out;
}
