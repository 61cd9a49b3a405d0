import { tidy } from '../engine.js';
import { add, affine, mul, neg, relu, sub } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { softmaxCrossEntropy } from '../ops/logits.js';
import type { Tensor } from '../tensor.js';

/**
 * Per-example objectives an attacker ASCENDS (methods.md §2.2), from logits z [B, C] and one-hot
 * rows [B, C] built once per attack. Each returns [B]; attacks ascend their sum, so every example
 * gets its own gradient whatever the batch size.
 */

/** CE(z, y) = −z_y + logΣexp(z) (log-softmax with max subtraction; one kernel each way). */
export const ceAscent = (z: Tensor, onehot: Tensor): Tensor => softmaxCrossEntropy(z, onehot);

/** z_y − max_{j≠y} z_j, the true class masked with −1e4 before the max (the common cwloss code). */
export const margin = (z: Tensor, onehot: Tensor): Tensor =>
  tidy(() => sub(sum(mul(onehot, z), 1), max(add(z, affine(onehot, -1e4)), 1)));

/** CW∞: −max(z_y − max_{j≠y} z_j + κ, 0), maximised by an untargeted attacker. */
export const cwAscent = (z: Tensor, onehot: Tensor, kappa: number): Tensor => tidy(() => neg(relu(add(margin(z, onehot), kappa))));

/** Targeted CE: the attacker descends CE towards the target class t. */
export const ceTargetedAscent = (z: Tensor, onehotT: Tensor): Tensor => tidy(() => neg(ceAscent(z, onehotT)));

/** Targeted CW: −max(max_{j≠t} z_j − z_t + κ, 0), pushing the target's margin up to κ. */
export const cwTargetedAscent = (z: Tensor, onehotT: Tensor, kappa: number): Tensor =>
  tidy(() => neg(relu(add(neg(margin(z, onehotT)), kappa))));
