/** Helpers shared by the simplicity metrics on 2-D maps (total variation, spectra). */
import { tidy } from '../engine.js';
import { ShapeError, fmtShape } from '../errors.js';
import { div, maximum } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';

/** The height and width of maps [..., H, W]. */
export function mapSize(op: string, a: Tensor): [number, number] {
  if (a.rank < 2) throw new ShapeError(`${op}: needs maps [..., height, width], got ${fmtShape(a.shape)}`);
  return [a.shape[a.rank - 2]!, a.shape[a.rank - 1]!];
}

/** a / b, with 0 where b is 0 (an all-zero map has zero TV, energy and norm). */
export function safeRatio(a: Tensor, b: Tensor): Tensor {
  return tidy(() => div(a, maximum(b, 1e-30)));
}
