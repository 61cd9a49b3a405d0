import type { Backend } from '../types.js';
import type { GpuRuntime } from '../../gpu/runtime.js';
import { webgpuAttack } from './attack.js';
import { webgpuConv } from './conv.js';
import { webgpuCore } from './core.js';
import { webgpuHsic } from './hsic.js';
import { webgpuLogits } from './logits.js';
import { webgpuOptim } from './optim.js';

export function createWebGpuBackend(rt: GpuRuntime): Backend<GPUBuffer> {
  return { ...webgpuCore(rt), ...webgpuConv(rt), ...webgpuOptim(rt), ...webgpuLogits(rt), ...webgpuAttack(rt), ...webgpuHsic(rt) };
}
