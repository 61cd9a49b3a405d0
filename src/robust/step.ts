import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { backendOf, wrap } from '../ops/util.js';
import type { Tensor } from '../tensor.js';

/**
 * The fused attack updates as tensor ops (one kernel each; see shaders/attack.wgsl). They are not
 * differentiable and are never recorded on a gradient tape: an attack step is data, not model.
 */

function check(op: string, x0: Tensor, x: Tensor, g: Tensor, alpha: number, eps: number): void {
  for (const t of [x0, x, g]) {
    if (t.dtype !== 'float32') throw new DTypeError(`${op}: expects float32 tensors, got ${t.dtype} ${fmtShape(t.shape)}`);
  }
  const s = x0.shape.join();
  if (x.shape.join() !== s || g.shape.join() !== s) {
    throw new ShapeError(`${op}: x0 ${fmtShape(x0.shape)}, x ${fmtShape(x.shape)} and g ${fmtShape(g.shape)} must have the same shape`);
  }
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new ValueError(`${op}: eps ${eps} must be a finite number >= 0`);
  if (!Number.isFinite(alpha)) throw new ValueError(`${op}: step size ${alpha} must be finite`);
}

/** x' = clip01(x0 + clamp(x + alpha·sign(g) − x0, −eps, eps)). */
export function linfStep(x0: Tensor, x: Tensor, g: Tensor, alpha: number, eps: number): Tensor {
  check('linfStep', x0, x, g, alpha, eps);
  const be = backendOf('linfStep', x0, x, g);
  return wrap(x0.shape, 'float32', be, be.linfStep(x0.storage('linfStep'), x.storage('linfStep'), g.storage('linfStep'), x0.size, alpha, eps));
}

/** Per example (axis 0): normalised gradient step, projection onto the L2 ball, clip to [0, 1]. */
export function l2Step(x0: Tensor, x: Tensor, g: Tensor, alpha: number, eps: number): Tensor {
  check('l2Step', x0, x, g, alpha, eps);
  if (x0.rank < 1 || x0.size === 0) throw new ShapeError(`l2Step: needs a non-empty batch [B, ...], got ${fmtShape(x0.shape)}`);
  const be = backendOf('l2Step', x0, x, g);
  const rows = x0.shape[0]!;
  return wrap(x0.shape, 'float32', be, be.l2Step(x0.storage('l2Step'), x.storage('l2Step'), g.storage('l2Step'), rows, x0.size / rows, alpha, eps));
}
