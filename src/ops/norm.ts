import type { NormGeom } from '../types.js';
import { isTracked, record, type VjpTable } from '../autograd/tape.js';
import { LimitError, ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { backendOf, requireFloat, wrap } from './util.js';

export interface BatchNormOptions {
  /** Batch statistics (and a running-statistics update) when true; running statistics when false. */
  training: boolean;
  momentum?: number;
  eps?: number;
}

interface NormParams {
  g: NormGeom;
  eps: number;
  training: boolean;
}

// Inputs of the recorded node: [x, γ, β, mean, variance], where mean and variance are the batch
// statistics (training) or the running buffers (eval); they ride along as inputs so that the tape
// keeps them alive until the backward pass, and get no gradient.
const normVjp = {
  batchNorm2d: (gy, [x, gamma, , mean, variance], _y, p: NormParams, needs) => {
    const be = gy.backend;
    const S = (t: Tensor) => t.storage('batchNorm2d backward');
    const C = p.g.C;
    let dx: Tensor | null = null;
    let dgamma: Tensor | null = null;
    let dbeta: Tensor | null = null;
    if (p.training || needs[1] || needs[2]) {
      const [sumGy, sumGyXhat] = be.batchNormGradSums(S(x!), S(gy), S(mean!), S(variance!), p.g, p.eps);
      dbeta = wrap([C], 'float32', be, sumGy);
      dgamma = wrap([C], 'float32', be, sumGyXhat);
      if (needs[0] && p.training) {
        dx = wrap(x!.shape, 'float32', be, be.batchNormInputGrad(S(x!), S(gy), S(mean!), S(variance!), S(gamma!), sumGy, sumGyXhat, p.g, p.eps));
      }
    }
    if (needs[0] && !p.training) dx = wrap(x!.shape, 'float32', be, be.batchNormInputGradEval(S(gy), S(variance!), S(gamma!), p.g, p.eps));
    if (!needs[1]) dgamma = (dgamma?.dispose(), null);
    if (!needs[2]) dbeta = (dbeta?.dispose(), null);
    return [dx, dgamma, dbeta, null, null];
  },
} satisfies VjpTable<'batchNorm2d'>;

/**
 * Batch normalisation over the channels of NCHW input, as torch.nn.functional.batch_norm:
 * y = (x − μ) / √(σ² + eps) · γ + β per channel. In training μ and σ² are the batch mean and the
 * biased batch variance over (N, H, W), and the running buffers are updated in place with the
 * unbiased variance: r ← (1 − momentum)·r + momentum·stat (no gradient flows into them). In eval
 * mode the running statistics normalise. Fused kernels (shaders/norm.wgsl): two dispatches forward,
 * two backward; gradients flow to x, γ and β.
 */
export function batchNorm2d(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, opts: BatchNormOptions): Tensor {
  if (x.rank !== 4) throw new ShapeError(`batchNorm2d: input must be NCHW [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  for (const [name, t] of [['gamma', gamma], ['beta', beta], ['runningMean', runningMean], ['runningVar', runningVar]] as const) {
    if (t.rank !== 1 || t.shape[0] !== C) throw new ShapeError(`batchNorm2d: ${name} must have shape [${C}] (one per channel of ${fmtShape(x.shape)}), got ${fmtShape(t.shape)}`);
  }
  requireFloat('batchNorm2d', x, gamma, beta, runningMean, runningVar);
  const be = backendOf('batchNorm2d', x, gamma, beta, runningMean, runningVar);
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (!(eps > 0)) throw new ValueError(`batchNorm2d: eps must be > 0, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new ValueError(`batchNorm2d: momentum must be in [0, 1], got ${momentum}`);
  if (opts.training && N * H * W < 2) {
    throw new ValueError(`batchNorm2d: training needs more than one value per channel, got input ${fmtShape(x.shape)} (as PyTorch); use eval mode`);
  }
  if (C > 65535 || N > 65535) throw new LimitError(`batchNorm2d: ${C} channels x ${N} examples exceed the 65,535 workgroups per grid dimension; split the batch`);
  const g: NormGeom = { N, C, HW: H * W };
  const S = (t: Tensor) => t.storage('batchNorm2d');
  let mean = runningMean;
  let variance = runningVar;
  if (opts.training) {
    // Also blends the batch statistics into the running buffers, in place.
    const [m, v] = be.batchNormStats(S(x), S(runningMean), S(runningVar), g, momentum);
    mean = wrap([C], 'float32', be, m);
    variance = wrap([C], 'float32', be, v);
  }
  const y = wrap(x.shape, 'float32', be, be.batchNormForward(S(x), S(mean), S(variance), S(gamma), S(beta), g, eps));
  record('batchNorm2d', normVjp.batchNorm2d, [x, gamma, beta, mean, variance], y, { g, eps, training: opts.training });
  // Without a tape to keep them for the backward pass, the batch statistics are done with.
  if (opts.training && !isTracked(y)) {
    mean.dispose();
    variance.dispose();
  }
  return y;
}
