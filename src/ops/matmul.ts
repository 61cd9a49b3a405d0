import { type MatView, sizeOf } from '../types.js';
import { record, type Vjp } from '../autograd/tape.js';
import { ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { sumTo } from './broadcast.js';
import { backendOf, broadcastShapes, checkAlloc, requireFloat, wrap } from './util.js';

interface MatmulParams {
  readonly transA: boolean;
  readonly transB: boolean;
}

/** Batch dims, rows and cols of x as used in a product (optionally transposed, without a copy). */
function matDims(x: Tensor, trans: boolean): { batch: number[]; rows: number; cols: number } {
  const r = x.shape[x.rank - 2]!;
  const c = x.shape[x.rank - 1]!;
  return { batch: x.shape.slice(0, -2), rows: trans ? c : r, cols: trans ? r : c };
}

function view(x: Tensor, trans: boolean, batchShape: readonly number[]): MatView {
  const r = x.shape[x.rank - 2]!;
  const c = x.shape[x.rank - 1]!;
  // A batch of one (or no batch axes) broadcasts with stride 0.
  const own = sizeOf(x.shape.slice(0, -2));
  const sb = own === 1 && sizeOf(batchShape) > 1 ? 0 : r * c;
  return trans ? { offset: 0, sb, si: 1, sj: c } : { offset: 0, sb, si: c, sj: 1 };
}

const matmulVjp: Vjp<MatmulParams> = (g, [a, b], _y, { transA, transB }, needs) => {
  // C = op(A)·op(B): dop(A) = G·op(B)ᵀ, dop(B) = op(A)ᵀ·G, then undo the op.
  const ga = !needs[0] ? null : transA ? matmulT(b!, g, transB, true) : matmulT(g, b!, false, !transB);
  const gb = !needs[1] ? null : transB ? matmulT(g, a!, true, transA) : matmulT(a!, g, !transA, false);
  return [ga && sumTo(ga, a!.shape), gb && sumTo(gb, b!.shape)];
};

/**
 * op(A)·op(B) over the last two axes, where op transposes when asked (no copy is made).
 * Leading axes are batch axes; a batch of 1 broadcasts. Both operands need rank >= 2.
 */
export function matmulT(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  requireFloat('matmul', a, b);
  const be = backendOf('matmul', a, b);
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`matmul: operands need rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}; reshape vectors to [1, n] or [n, 1]`);
  const A = matDims(a, transA);
  const B = matDims(b, transB);
  if (A.cols !== B.rows) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} · ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${A.cols} vs ${B.rows})`);
  }
  const batchShape = broadcastShapes('matmul', A.batch, B.batch);
  const nb = sizeOf(batchShape);
  for (const [name, x] of [['left', A], ['right', B]] as const) {
    if (sizeOf(x.batch) !== 1 && sizeOf(x.batch) !== nb) {
      throw new ShapeError(`matmul: ${name} batch ${fmtShape(x.batch)} must equal ${fmtShape(batchShape)} or be 1 (partial batch broadcasting is not supported)`);
    }
  }
  checkAlloc('matmul', [...batchShape, A.rows, B.cols], be);
  const s = be.matmul(a.storage('matmul'), view(a, transA, batchShape), b.storage('matmul'), view(b, transB, batchShape), nb, A.rows, A.cols, B.cols);
  const out = wrap([...batchShape, A.rows, B.cols], 'float32', be, s);
  record('matmul', matmulVjp, [a, b], out, { transA, transB });
  return out;
}

/** Matrix product over the last two axes with batch broadcasting. */
export const matmul = (a: Tensor, b: Tensor): Tensor => matmulT(a, b, false, false);
