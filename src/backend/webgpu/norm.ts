import type { NormOps } from '../norm.js';
import type { GpuRuntime } from '../../gpu/runtime.js';
import * as norm from '../../kernels/norm.js';

/** Fused batch normalisation on the GPU (src/kernels/norm.ts). */
export function webgpuNorm(rt: GpuRuntime): NormOps<GPUBuffer> {
  return {
    batchNormStats: (x, rm, rv, g, momentum) => norm.batchNormStats(rt, x, rm, rv, g, momentum),
    batchNormForward: (x, mean, v, gamma, beta, g, eps) => norm.batchNormForward(rt, x, mean, v, gamma, beta, g, eps),
    batchNormGradSums: (x, gy, mean, v, g, eps) => norm.batchNormGradSums(rt, x, gy, mean, v, g, eps),
    batchNormInputGrad: (x, gy, mean, v, gamma, s1, s2, g, eps) => norm.batchNormInputGrad(rt, x, gy, mean, v, gamma, s1, s2, g, eps),
    batchNormInputGradEval: (gy, v, gamma, g, eps) => norm.batchNormInputGradEval(rt, gy, v, gamma, g, eps),
  };
}
