import { record, type Vjp } from '../autograd/tape.js';
import { ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { reshape } from './layout.js';
import { reduceOp, type ReduceParams } from './reduction.js';
import { broadcastShapes, broadcastView, sameShape, viewCopy } from './util.js';

// Broadcasting and summing are each other's adjoints, so they live together, below elementwise
// (whose rules sum broadcast gradients back down with sumTo).

// d Σx = broadcast(g)
const sumVjp: Vjp<ReduceParams> = (g, [x], _y, p) => [broadcastTo(reshape(g, p.keepShape), x!.shape)];

export const sum = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduceOp('sum', sumVjp, x, axes, keepDims);

const broadcastVjp: Vjp = (g, [x]) => [sumTo(g, x!.shape)];

/** Materialise `x` broadcast to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const s = broadcastShapes('broadcastTo', x.shape, shape);
  if (!sameShape(s, shape)) throw new ShapeError(`broadcastTo: ${fmtShape(x.shape)} cannot be broadcast to ${fmtShape(shape)}`);
  const out = viewCopy('broadcastTo', x, broadcastView(x.shape, shape));
  record('broadcastTo', broadcastVjp, [x], out, undefined);
  return out;
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
