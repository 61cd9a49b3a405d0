import type { HsicOps } from '../hsic.js';
import type { GpuRuntime } from '../../gpu/runtime.js';
import * as k from '../../kernels/hsic.js';

/** The HSIC family on the GPU: one launcher per primitive (src/kernels/hsic.ts). */
export function webgpuHsic(rt: GpuRuntime): HsicOps<GPUBuffer> {
  return {
    centerColumns: (x, n, p) => k.centerColumns(rt, x, n, p),
    gram: (x, n, ld) => k.gram(rt, x, n, ld),
    sqDistFromGram: (g, n) => k.sqDistFromGram(rt, g, n),
    rbfFromSqDist: (d, n, median, t) => k.rbfFromSqDist(rt, d, n, median, t),
    uCenter: (g, n) => k.uCenter(rt, g, n),
    doubleCenter: (g, n) => k.doubleCenter(rt, g, n),
    dotPartials: (a, ra, b, rb, len) => k.dotPartials(rt, a, ra, b, rb, len),
  };
}
