/**
 * Correct-prediction counts as one-element device tensors (no readback), in the engine's two
 * conventions, which differ only where logits tie exactly.
 */
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import { oneHotLike, type Labels } from '../nn/losses.js';
import { tensor } from '../ops/creation.js';
import { eq, mul } from '../ops/elementwise.js';
import { gather } from '../ops/layout.js';
import { argmax, max, sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';

/** Examples whose true class attains the maximal logit (a tie with another class counts as correct). */
export function countCorrect(logits: Tensor, labels: Tensor): Tensor {
  return noGrad(() =>
    tidy(() => {
      const hit = eq(logits, max(logits, 1, true));
      return sum(mul(oneHotLike(logits, labels, 'countCorrect'), hit));
    }),
  );
}

/** Examples whose first maximal logit is the true class: the count of every attack and of robustEvaluate. */
export function countArgmaxCorrect(logits: Tensor, labels: Labels): Tensor {
  return noGrad(() =>
    tidy(() => {
      const C = logits.shape[1]!;
      const eye = tensor(Float64Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0)), [C, C], { backend: logits.backend });
      return sum(mul(gather(eye, argmax(logits, 1), 0), oneHotLike(logits, labels, 'countArgmaxCorrect')));
    }),
  );
}
