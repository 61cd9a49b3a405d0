/**
 * Total variation of maps and filters (methods.md §5.2.1, paper (b)), built from the engine's ops so
 * it runs on either backend and the CPU run is the float64 oracle of the GPU run.
 */
import { tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { abs, add, mul, pow, sqrt, square, sub } from '../ops/elementwise.js';
import { slice } from '../ops/layout.js';
import { sum } from '../ops/reduce.js';
import { Tensor } from '../tensor.js';
import { mapSize, safeRatio } from './map-util.js';

export interface TVOptions {
  /** Exponent β of each difference (default 1, as in `tv_obs.py::tv_norm`). */
  beta?: number;
  /**
   * Isotropic variant: Σ sqrt(dx² + dy²) over the top-left (h−1)×(w−1) grid (β ignored).
   * Default false: anisotropic Σ|A[i,j] − A[i+1,j]|^β + Σ|A[i,j] − A[i,j+1]|^β, forward differences,
   * no boundary terms.
   */
  isotropic?: boolean;
}

/** Shift along one of the last two axes: the part from `from` to `to` (exclusive) of that axis. */
function band(a: Tensor, axis: -2 | -1, from: number, to: number, otherTo?: number): Tensor {
  const starts = a.shape.map(() => 0);
  const ends: (number | undefined)[] = a.shape.map(() => undefined);
  const ax = a.rank + axis;
  const other = axis === -2 ? a.rank - 1 : a.rank - 2;
  starts[ax] = from;
  ends[ax] = to;
  if (otherTo !== undefined) ends[other] = otherTo;
  return slice(a, starts, ends);
}

/**
 * Total variation of each 2-D map over the last two axes: [..., H, W] → [...] (per channel per
 * image for activations [N, C, H, W]). Differentiable (except isotropic TV at flat points).
 */
export function totalVariation(a: Tensor, opts: TVOptions = {}): Tensor {
  const [H, W] = mapSize('totalVariation', a);
  const beta = opts.beta ?? 1;
  if (!(beta > 0)) throw new ValueError(`totalVariation: beta ${beta} must be > 0`);
  return tidy(() => {
    if (opts.isotropic) {
      if (H < 2 || W < 2) throw new ShapeError(`totalVariation: the isotropic variant needs maps at least 2×2, got ${fmtShape(a.shape)}`);
      const tl = band(band(a, -2, 0, H - 1), -1, 0, W - 1);
      const dy = sub(band(band(a, -2, 1, H), -1, 0, W - 1), tl);
      const dx = sub(band(band(a, -2, 0, H - 1), -1, 1, W), tl);
      return sum(sqrt(add(square(dx), square(dy))), [-2, -1]);
    }
    const term = (d: Tensor): Tensor => sum(beta === 1 ? abs(d) : pow(abs(d), beta), [-2, -1]);
    const parts: Tensor[] = [];
    if (H > 1) parts.push(term(sub(band(a, -2, 0, H - 1), band(a, -2, 1, H))));
    if (W > 1) parts.push(term(sub(band(a, -1, 0, W - 1), band(a, -1, 1, W))));
    if (parts.length === 0) return mul(sum(a, [-2, -1]), 0);
    return parts.length === 2 ? add(parts[0]!, parts[1]!) : parts[0]!;
  });
}

/** TV divided by Σ|A| per map ([rec] of §5.2.1: removes the activation scale). */
export function normalizedTotalVariation(a: Tensor, opts: TVOptions = {}): Tensor {
  return tidy(() => safeRatio(totalVariation(a, opts), sum(abs(a), [-2, -1])));
}

/** First-layer filters [O, I, kh, kw]: TV summed over input channels, divided by the filter's L2 norm → [O]. */
export function filterTotalVariation(weight: Tensor, opts: TVOptions = {}): Tensor {
  if (weight.rank !== 4) throw new ShapeError(`filterTotalVariation: conv weight must be [out, in, kh, kw], got ${fmtShape(weight.shape)}`);
  return tidy(() => safeRatio(sum(totalVariation(weight, opts), 1), sqrt(sum(square(weight), [1, 2, 3]))));
}
