import type { AdamHyper, SgdHyper } from '../types.js';
import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

const WG = 64;

/** Kernel choices that tests and benchmarks flip (0: the launcher chooses). */
export const optimVariants = { perInvocation: 0, vec4: true };

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

/**
 * Tensors of a multiple of 4 elements take the vec4 kernels (n counted in vec4s): lavapipe loads and
 * stores lane by lane, one vector per access. bench/optim-vec4.ts (cnn-small's 8 tensors, medians
 * of 9 interleaved rounds in one process, load 1.2, 2026-12-02): SGD momentum 2.03 -> 1.66 ms
 * (1.34x per round), Adam 2.41 -> 2.12 ms (1.07x).
 */
const vec4 = (n: number): boolean => optimVariants.vec4 && n % 4 === 0;

/** One fused SGD pass over a parameter tensor (momentum buffer updated in the same pass). */
export function sgdStep(rt: GpuRuntime, p: GPUBuffer, g: GPUBuffer, m: GPUBuffer | null, n: number, h: SgdHyper): void {
  const v4 = vec4(n);
  const len = v4 ? n / 4 : n;
  const uniforms = { n: len, first: h.first ? 1 : 0, lr: h.lr, momentum: h.momentum, dampening: h.dampening, weight_decay: h.weightDecay };
  const { PER, workgroups } = grid(len);
  if (m !== null && h.momentum !== 0) {
    rt.dispatch({
      ...(v4 ? { entry: 'sgd_momentum_vec4' as const, buffers: { p4: p, g4: g, m4: m } } : { entry: 'sgd_momentum' as const, buffers: { p, g, m } }),
      shader: 'optim', overrides: { WG, PER, NESTEROV: h.nesterov ? 1 : 0 }, uniforms, workgroups,
    });
  } else {
    rt.dispatch({
      ...(v4 ? { entry: 'sgd_vec4' as const, buffers: { p4: p, g4: g } } : { entry: 'sgd' as const, buffers: { p, g } }),
      shader: 'optim', overrides: { WG, PER }, uniforms, workgroups,
    });
  }
}

/** One fused Adam/AdamW pass: p, m and v read once and written once. */
export function adamStep(rt: GpuRuntime, p: GPUBuffer, g: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, h: AdamHyper): void {
  // Bias corrections are computed in float64 on the host; only their f32 values reach the GPU.
  const bc1 = 1 - h.beta1 ** h.t;
  const bc2 = 1 - h.beta2 ** h.t;
  const v4 = vec4(n);
  const len = v4 ? n / 4 : n;
  const { PER, workgroups } = grid(len);
  rt.dispatch({
    ...(v4 ? { entry: 'adam_vec4' as const, buffers: { p4: p, g4: g, m4: m, v4: v } } : { entry: 'adam' as const, buffers: { p, g, m, v } }),
    shader: 'optim', overrides: { WG, PER, DECOUPLED: h.decoupled ? 1 : 0 },
    uniforms: { n: len, lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps, weight_decay: h.weightDecay, bc1, bc2_sqrt: Math.sqrt(bc2) },
    workgroups,
  });
}

export const optimKernels = (rt: GpuRuntime) => bindRuntime(rt, { sgdStep, adamStep });
