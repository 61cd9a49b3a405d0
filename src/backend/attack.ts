/**
 * Fused attack updates (methods.md §2.1): the step, the projection onto the threat ball around the
 * clean input and the clip to [0, 1], as one kernel per PGD step. Inputs are flat contiguous
 * float storage: `x0` the clean batch, `x` the current iterate, `g` the input gradient.
 */
export interface AttackOps<S> {
  /** out = clip01(x0 + clamp(x + alpha·sign(g) − x0, −eps, eps)), elementwise over n entries. */
  linfStep(x0: S, x: S, g: S, n: number, alpha: number, eps: number): S;
  /**
   * Per example (rows of d entries): δ = x + alpha·g/(‖g‖₂ + 1e-10) − x0, δ ← δ·min(1, eps/‖δ‖₂),
   * out = clip01(x0 + δ).
   */
  l2Step(x0: S, x: S, g: S, rows: number, d: number, alpha: number, eps: number): S;
}
