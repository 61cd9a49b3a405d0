import { tidy } from '../engine.js';
import { add, affine, clamp, div, maximum, minimum, mul, sign, sqrt, square, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import type { Norm } from './attacks.js';
import { rowsOf } from './rows.js';

/**
 * One APGD update with per-example step sizes η [n] (Croce & Hein 2020, eq. 2), with the
 * reference's arithmetic:
 *
 *   z      = P(x + η·s(∇))                 s = sign for L∞, ∇/(‖∇‖₂ + 1e-12) for L2
 *   x_next = P(x + a·(z − x) + (1 − a)·(x − x_prev))
 *
 * a = 0.75 (a = 1 for the first step, so it ignores x_prev). P projects onto the threat ball
 * around x0 and the [0, 1] box. For L∞ both are one clamp to [lo, hi] = [max(x0 − ε, 0),
 * min(x0 + ε, 1)], the same numbers as clamping to the ball and then to the box. For L2 P is
 * clip01(x0 + δ/(‖δ‖ + 1e-12)·min(ε, ‖δ‖)), δ = v − x0, as `autopgd_base.py` writes it.
 */
export interface StepGeometry {
  norm: Norm;
  eps: number;
  x0: Tensor;
  /** L∞ only: the clamp bounds max(x0 − ε, 0) and min(x0 + ε, 1). */
  lo: Tensor | null;
  hi: Tensor | null;
}

export function stepGeometry(norm: Norm, eps: number, x0: Tensor): StepGeometry {
  if (norm === 'l2') return { norm, eps, x0, lo: null, hi: null };
  const [lo, hi] = tidy(() => [clamp(affine(x0, 1, -eps), 0, 1), clamp(affine(x0, 1, eps), 0, 1)]);
  return { norm, eps, x0, lo: lo!, hi: hi! };
}

export function disposeGeometry(g: StepGeometry): void {
  g.lo?.dispose();
  g.hi?.dispose();
}

/** Per-example L2 norm over all axes but the first, shaped [n, 1, 1, …]. */
const rowNorm = (v: Tensor): Tensor => sqrt(sum(square(v), Array.from({ length: v.rank - 1 }, (_, i) => i + 1), true));

function project(v: Tensor, geo: StepGeometry): Tensor {
  if (geo.norm === 'linf') return minimum(maximum(v, geo.lo!), geo.hi!);
  const d = sub(v, geo.x0);
  const n = rowNorm(d);
  return clamp(add(geo.x0, mul(div(d, affine(n, 1, 1e-12)), minimum(n, geo.eps))), 0, 1);
}

/** The next iterate (a fresh tensor; the inputs are not consumed). */
export function apgdStep(x: Tensor, xPrev: Tensor, grad: Tensor, eta: Tensor, a: number, geo: StepGeometry): Tensor {
  return tidy(() => {
    const etaRows = rowsOf(eta, x.shape);
    const dir = geo.norm === 'linf' ? sign(grad) : div(grad, affine(rowNorm(grad), 1, 1e-12));
    const z = project(add(x, mul(dir, etaRows)), geo);
    // With a = 1 the momentum form is x + (z − x) = z, already projected: the L∞ clamp is
    // idempotent; the L2 reference projects again, which moves z by at most an ulp-sized factor.
    if (a === 1 && geo.norm === 'linf') return z;
    const v = add(add(x, mul(sub(z, x), a)), mul(sub(x, xPrev), 1 - a));
    return project(v, geo);
  });
}
