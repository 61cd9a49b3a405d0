/**
 * Optimizer update kernels: in place on a parameter and its state buffers (PyTorch's rules).
 *
 * SGD (torch.optim.SGD): d = g + wd·p; with momentum μ, buf = d on the first step, else
 * μ·buf + (1 − dampening)·d; the step is buf, or d + μ·buf with Nesterov; p ← p − lr·step.
 *
 * Adam (torch.optim.Adam): g ← g + wd·p (L2, coupled); AdamW instead decays p ← p·(1 − lr·wd).
 * m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², p ← p − (lr / bc1)·m / (√v / √bc2 + eps)
 * with bc1 = 1 − β1^t, bc2 = 1 − β2^t for step t = 1, 2, …
 */
import type { AdamHyper, SgdHyper } from '../types.js';

export interface OptimOps<S> {
  /** p ← SGD(p, g) in place; `m` is the momentum buffer (null when momentum is 0). */
  sgdStep(p: S, g: S, m: S | null, size: number, h: SgdHyper): void;
  /** p, m, v ← Adam(p, g, m, v) in place. */
  adamStep(p: S, g: S, m: S, v: S, size: number, h: AdamHyper): void;
}
