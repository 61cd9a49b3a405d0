import type { OptimOps } from '../optim.js';
import type { GpuRuntime } from '../../gpu/runtime.js';
import * as k from '../../kernels/optim.js';

/** Optimizer updates on the GPU: one fused dispatch per parameter tensor, no readback. */
export function webgpuOptim(rt: GpuRuntime): OptimOps<GPUBuffer> {
  return {
    sgdStep: (p, g, m, n, h) => k.sgdStep(rt, p, g, m, n, h),
    adamStep: (p, g, m, v, n, h) => k.adamStep(rt, p, g, m, v, n, h),
  };
}
