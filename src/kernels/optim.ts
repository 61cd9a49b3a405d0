import type { AdamHyper, SgdHyper } from '../types.js';
import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

const WG = 64;

/** Kernel choices that tests and benchmarks flip (0: the launcher chooses). */
export const optimVariants = { perInvocation: 0 };

/**
 * Elements per invocation: 4 once a tensor has more than 64 workgroups' worth. The momentum update of
 * cnn-small's 421,642 parameters (8 dispatches) took, per update, 3.9-4.9 ms with 1 element per
 * lane, 3.1-3.5 with 4, 3.2-3.3 with 8 and 5.9-6.5 with 16 (medians of 15 interleaved rounds in one
 * process, lavapipe, load 3.7-4.4): lavapipe has a fixed cost per workgroup.
 */
function grid(n: number): { PER: number; workgroups: [number, number] } {
  const PER = optimVariants.perInvocation || (n > 64 * WG ? 4 : 1);
  return { PER, workgroups: grid1d(Math.ceil(n / PER), WG) };
}

/** One fused SGD pass over a parameter tensor (momentum buffer updated in the same pass). */
export function sgdStep(rt: GpuRuntime, p: GPUBuffer, g: GPUBuffer, m: GPUBuffer | null, n: number, h: SgdHyper): void {
  const uniforms = { n, first: h.first ? 1 : 0, lr: h.lr, momentum: h.momentum, dampening: h.dampening, weight_decay: h.weightDecay };
  const { PER, workgroups } = grid(n);
  if (m !== null && h.momentum !== 0) {
    rt.dispatch({
      shader: 'optim', entry: 'sgd_momentum', overrides: { WG, PER, NESTEROV: h.nesterov ? 1 : 0 },
      uniforms, buffers: { p, g, m }, workgroups,
    });
  } else {
    rt.dispatch({ shader: 'optim', entry: 'sgd', overrides: { WG, PER }, uniforms, buffers: { p, g }, workgroups });
  }
}

/** One fused Adam/AdamW pass: p, m and v read once and written once. */
export function adamStep(rt: GpuRuntime, p: GPUBuffer, g: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, h: AdamHyper): void {
  // Bias corrections are computed in float64 on the host; only their f32 values reach the GPU.
  const bc1 = 1 - h.beta1 ** h.t;
  const bc2 = 1 - h.beta2 ** h.t;
  const { PER, workgroups } = grid(n);
  rt.dispatch({
    shader: 'optim', entry: 'adam', overrides: { WG, PER, DECOUPLED: h.decoupled ? 1 : 0 },
    uniforms: { n, lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps, weight_decay: h.weightDecay, bc1, bc2_sqrt: Math.sqrt(bc2) },
    buffers: { p, g, m, v }, workgroups,
  });
}

export const optimKernels = (rt: GpuRuntime) => bindRuntime(rt, { sgdStep, adamStep });
