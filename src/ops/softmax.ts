import { tidy } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { div, exp, sub } from './elementwise.js';
import { logsumexp, max, sum } from './reduce.js';
import { detach } from './elementwise.js';
import { normAxes, requireFloat } from './util.js';

/** exp(x − max) / Σ exp(x − max) along `axis`. */
export function softmax(x: Tensor, axis = -1): Tensor {
  requireFloat('softmax', x); // errors name softmax, not the max inside
  normAxes('softmax', x.rank, axis);
  return tidy(() => {
    const m = detach(max(x, axis, true));
    const e = exp(sub(x, m));
    return div(e, sum(e, axis, true));
  });
}

/** x − logsumexp(x) along `axis`: stable for any logit scale. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireFloat('logSoftmax', x);
  normAxes('logSoftmax', x.rank, axis);
  return tidy(() => sub(x, logsumexp(x, axis, true)));
}
