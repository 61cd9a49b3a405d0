import type { Backend } from '../types.js';
import type { GpuRuntime } from '../../gpu/runtime.js';
import { webgpuAttack } from './attack.js';
import { webgpuConv } from './conv.js';
import { webgpuCore } from './core.js';
import { webgpuHsic } from './hsic.js';
import { webgpuLogits } from './logits.js';
import { webgpuNorm } from './norm.js';
import { webgpuOptim } from './optim.js';
import { selectKernels } from '../../kernels/select.js';

export function createWebGpuBackend(rt: GpuRuntime): Backend<GPUBuffer> {
  const ops = { ...webgpuCore(rt), ...webgpuConv(rt), ...webgpuOptim(rt), ...webgpuLogits(rt), ...webgpuAttack(rt), ...webgpuHsic(rt), ...selectKernels(rt), ...webgpuNorm(rt) };
  return guardAll(rt, ops);
}

/**
 * Wrap every op so that one which throws after allocating (its output, a temporary) gives those
 * buffers back: a failed dispatch must not leak GPU memory. Async ops are guarded up to their first
 * await, which is where they allocate.
 */
function guardAll<T extends object>(rt: GpuRuntime, ops: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ops)) {
    const op = value as (...args: unknown[]) => unknown;
    out[name] = typeof value === 'function' ? (...args: unknown[]) => rt.guarded(() => op.apply(out, args)) : value;
  }
  return out as T;
}
