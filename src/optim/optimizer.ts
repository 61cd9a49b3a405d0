import type { Tensor } from '../tensor.js';

/**
 * An optimizer updates parameter storage in place from gradients. Implementations (SGD, Adam,
 * AdamW in this folder) keep their state (momentum, moments) as tensors they own; `dispose()`
 * frees it. `lr` may be changed between steps by a schedule.
 */
export interface Optimizer {
  lr: number;
  /** Apply one update; `grads[i]` is the gradient of `params[i]` (same shape). */
  step(params: readonly Tensor[], grads: readonly Tensor[]): void;
  /** Named state tensors (for checkpoints), e.g. `momentum.features.0.weight`. */
  state(): [string, Tensor][];
  dispose(): void;
}
