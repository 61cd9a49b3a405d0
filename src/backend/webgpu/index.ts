import type { Backend } from '../types.js';
import type { GpuRuntime } from '../../gpu/runtime.js';
import { webgpuCore } from './core.js';
import { webgpuHsic } from './hsic.js';

export function createWebGpuBackend(rt: GpuRuntime): Backend<GPUBuffer> {
  return { ...webgpuCore(rt), ...webgpuHsic(rt) };
}
