/**
 * Correct-prediction counts as one-element device tensors (no readback), in the engine's two
 * conventions, which differ only where logits tie exactly. Each is one kernel and a sum.
 */
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import type { Labels } from '../nn/losses.js';
import { labelHits } from '../ops/logits.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';

/** Examples whose true class attains the maximal logit (a tie with another class counts as correct). */
export function countCorrect(logits: Tensor, labels: Tensor): Tensor {
  return noGrad(() => tidy(() => sum(labelHits(logits, labels, 'max'))));
}

/** Examples whose first maximal logit is the true class: the count of every attack and of robustEvaluate. */
export function countArgmaxCorrect(logits: Tensor, labels: Labels): Tensor {
  return noGrad(() => tidy(() => sum(labelHits(logits, labels, 'argmax'))));
}
