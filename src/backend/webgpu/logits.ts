import type { GpuRuntime } from '../../gpu/runtime.js';
import { logitStats } from '../../kernels/logits.js';
import type { LogitOps } from '../logits.js';

export function webgpuLogits(rt: GpuRuntime): LogitOps<GPUBuffer> {
  return { logitStats: (z, labels, rows, classes) => logitStats(rt, z, labels, rows, classes) };
}
