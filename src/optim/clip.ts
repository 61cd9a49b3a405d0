import { tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import { add, div, minimum, mul, sqrt, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';

/**
 * Global L2 gradient-norm clipping (torch.nn.utils.clip_grad_norm_): with N = ‖(g_1, …, g_k)‖₂,
 * every gradient is scaled by min(1, maxNorm / (N + 1e-6)). Everything stays on the device: the
 * norm is a one-element tensor the caller may read (one scalar) or ignore; nothing is read back
 * here. Returns new gradient tensors; the inputs are left to the caller.
 */
export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; norm: Tensor } {
  if (!(maxNorm > 0)) throw new ValueError(`clipGradNorm: maxNorm ${maxNorm} must be > 0`);
  if (grads.length === 0) throw new ValueError('clipGradNorm: no gradients given');
  return tidy(() => {
    let total = sum(square(grads[0]!));
    for (let i = 1; i < grads.length; i++) total = add(total, sum(square(grads[i]!)));
    const norm = sqrt(total);
    const coef = minimum(div(maxNorm, add(norm, 1e-6)), 1);
    return { grads: grads.map((g) => mul(g, coef)), norm };
  });
}

/** The global L2 norm of a list of tensors, as a one-element tensor (no readback). */
export function globalNorm(ts: readonly Tensor[]): Tensor {
  return tidy(() => {
    let total = sum(square(ts[0]!));
    for (let i = 1; i < ts.length; i++) total = add(total, sum(square(ts[i]!)));
    return sqrt(total);
  });
}
