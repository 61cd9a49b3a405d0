import type { AttackOps } from '../attack.js';
import type { GpuRuntime } from '../../gpu/runtime.js';
import * as k from '../../kernels/attack.js';

export function webgpuAttack(rt: GpuRuntime): AttackOps<GPUBuffer> {
  return {
    linfStep: (x0, x, g, n, alpha, eps) => k.linfStep(rt, x0, x, g, n, alpha, eps),
    l2Step: (x0, x, g, rows, d, alpha, eps) => k.l2Step(rt, x0, x, g, rows, d, alpha, eps),
  };
}
