import type { AdamHyper, SgdHyper } from '../types.js';
import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

const WG = 64;

/** One fused SGD pass over a parameter tensor (momentum buffer updated in the same pass). */
export function sgdStep(rt: GpuRuntime, p: GPUBuffer, g: GPUBuffer, m: GPUBuffer | null, n: number, h: SgdHyper): void {
  const uniforms = { n, first: h.first ? 1 : 0, lr: h.lr, momentum: h.momentum, dampening: h.dampening, weight_decay: h.weightDecay };
  if (m !== null && h.momentum !== 0) {
    rt.dispatch({
      shader: 'optim', entry: 'sgd_momentum', overrides: { WG, NESTEROV: h.nesterov ? 1 : 0 },
      uniforms, buffers: { p, g, m }, workgroups: grid1d(n, WG),
    });
  } else {
    rt.dispatch({ shader: 'optim', entry: 'sgd', overrides: { WG }, uniforms, buffers: { p, g }, workgroups: grid1d(n, WG) });
  }
}

/** One fused Adam/AdamW pass: p, m and v read once and written once. */
export function adamStep(rt: GpuRuntime, p: GPUBuffer, g: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, h: AdamHyper): void {
  // Bias corrections are computed in float64 on the host; only their f32 values reach the GPU.
  const bc1 = 1 - h.beta1 ** h.t;
  const bc2 = 1 - h.beta2 ** h.t;
  rt.dispatch({
    shader: 'optim', entry: 'adam', overrides: { WG, DECOUPLED: h.decoupled ? 1 : 0 },
    uniforms: { n, lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps, weight_decay: h.weightDecay, bc1, bc2_sqrt: Math.sqrt(bc2) },
    buffers: { p, g, m, v }, workgroups: grid1d(n, WG),
  });
}

export const optimKernels = (rt: GpuRuntime) => bindRuntime(rt, { sgdStep, adamStep });
