import { contiguousView } from '../backend/types.js';
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../gpu/errors.js';
import type { Tensor } from '../tensor.js';
import { add, affine, mul, rsqrt, sub } from './elementwise.js';
import { reshape } from './layout.js';
import { mean, variance } from './reduce.js';

export interface BatchNormOptions {
  /** Batch statistics (and a running-statistics update) when true; running statistics when false. */
  training: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over the channels of NCHW input, as torch.nn.functional.batch_norm:
 * y = (x − μ) / √(σ² + eps) · γ + β per channel. In training μ and σ² are the batch mean and the
 * biased batch variance over (N, H, W), and the running buffers are updated in place with the
 * unbiased variance: r ← (1 − momentum)·r + momentum·stat (no gradient flows into them). In eval
 * mode the running statistics normalise. A composite of existing ops, so gradients flow to x, γ, β.
 */
export function batchNorm2d(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, opts: BatchNormOptions): Tensor {
  if (x.rank !== 4) throw new ShapeError(`batchNorm2d: input must be NCHW [N, C, H, W], got ${fmtShape(x.shape)}`);
  const C = x.shape[1]!;
  for (const [name, t] of [['gamma', gamma], ['beta', beta], ['runningMean', runningMean], ['runningVar', runningVar]] as const) {
    if (t.rank !== 1 || t.shape[0] !== C) throw new ShapeError(`batchNorm2d: ${name} must have shape [${C}] (one per channel of ${fmtShape(x.shape)}), got ${fmtShape(t.shape)}`);
  }
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (!(eps > 0)) throw new ValueError(`batchNorm2d: eps must be > 0, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new ValueError(`batchNorm2d: momentum must be in [0, 1], got ${momentum}`);
  const count = x.shape[0]! * x.shape[2]! * x.shape[3]!;
  if (opts.training && count < 2) {
    throw new ValueError(`batchNorm2d: training needs more than one value per channel, got input ${fmtShape(x.shape)} (as PyTorch); use eval mode`);
  }
  const cs = [1, C, 1, 1];
  return tidy(() => {
    let mu: Tensor;
    let v: Tensor;
    if (opts.training) {
      mu = mean(x, [0, 2, 3], true);
      v = variance(x, [0, 2, 3], true);
      noGrad(() => {
        // Running buffers: written in place, from the batch statistics' values only.
        const m = affine(runningMean, 1 - momentum);
        const newMean = add(m, affine(reshape(mu, [C]), momentum));
        const newVar = add(affine(runningVar, 1 - momentum), affine(reshape(v, [C]), (momentum * count) / (count - 1)));
        const be = runningMean.backend;
        be.writeView(runningMean.storage('batchNorm2d'), contiguousView([C]), newMean.storage('batchNorm2d'));
        be.writeView(runningVar.storage('batchNorm2d'), contiguousView([C]), newVar.storage('batchNorm2d'));
      });
    } else {
      mu = reshape(runningMean, cs, false);
      v = reshape(runningVar, cs, false);
    }
    const xhat = mul(sub(x, mu), rsqrt(affine(v, 1, eps)));
    return add(mul(xhat, reshape(gamma, cs)), reshape(beta, cs));
  });
}
