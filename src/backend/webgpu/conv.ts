import type { ConvOps, PoolOps } from '../conv.js';
import type { GpuRuntime } from '../../gpu/runtime.js';
import * as conv from '../../kernels/conv.js';
import * as pool from '../../kernels/pool.js';

/** Convolution and pooling on the GPU: one launcher each (src/kernels/conv.ts, pool.ts). */
export function webgpuConv(rt: GpuRuntime): ConvOps<GPUBuffer> & PoolOps<GPUBuffer> {
  return {
    conv2d: (x, w, b, g) => conv.conv2d(rt, x, w, b, g),
    conv2dBackwardInput: (gy, w, g) => conv.conv2dBackwardInput(rt, gy, w, g),
    conv2dBackwardWeight: (x, gy, g) => conv.conv2dBackwardWeight(rt, x, gy, g),
    maxPool2d: (x, g) => pool.maxPool2d(rt, x, g),
    maxPool2dBackward: (x, gy, g) => pool.maxPool2dBackward(rt, x, gy, g),
    avgPool2d: (x, g) => pool.avgPool2d(rt, x, g),
    avgPool2dBackward: (gy, g) => pool.avgPool2dBackward(rt, gy, g),
  };
}
