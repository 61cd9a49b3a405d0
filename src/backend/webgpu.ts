import type { Backend } from './types.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { attackKernels } from '../kernels/attack.js';
import { convKernels } from '../kernels/conv.js';
import { copyKernels } from '../kernels/copy.js';
import { elementwiseKernels } from '../kernels/elementwise.js';
import { hsicKernels } from '../kernels/hsic.js';
import { logitKernels } from '../kernels/logits.js';
import { matmulKernels } from '../kernels/matmul.js';
import { normKernels } from '../kernels/norm.js';
import { optimKernels } from '../kernels/optim.js';
import { poolKernels } from '../kernels/pool.js';
import { reduceKernels } from '../kernels/reduce.js';
import { selectKernels } from '../kernels/select.js';
import { transferKernels } from '../kernels/transfer.js';

/**
 * The WebGPU backend: every kernel family's slice (its launchers, bound to `rt`), checked against
 * the Backend contract here, where both are visible (kernels/ sits below backend/).
 */
export function createWebGpuBackend(rt: GpuRuntime): Backend<GPUBuffer> {
  const ops = {
    kind: 'webgpu' as const,
    ...transferKernels(rt),
    ...elementwiseKernels(rt),
    ...reduceKernels(rt),
    ...matmulKernels(rt),
    ...copyKernels(rt),
    ...convKernels(rt),
    ...poolKernels(rt),
    ...optimKernels(rt),
    ...logitKernels(rt),
    ...attackKernels(rt),
    ...hsicKernels(rt),
    ...selectKernels(rt),
    ...normKernels(rt),
  } satisfies Backend<GPUBuffer>;
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
