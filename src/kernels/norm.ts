import type { NormGeom } from '../types.js';
import { itemsPerInvocation } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

// Launchers of shaders/norm.wgsl: per-channel reductions run one workgroup per channel; the
// elementwise passes a (⌈HW / 64⌉, C, N) grid.
const EW = 64;

const uniforms = (g: NormGeom, eps = 0, momentum = 0) => ({ N: g.N, C: g.C, HW: g.HW, eps, momentum });

/** Planes of a multiple of 4 values run as vec4s (one per invocation). */
const vec4 = (g: NormGeom): boolean => g.HW % 4 === 0;
/** Kernel choices that tests flip (0: the launcher chooses). */
export const normVariants = { examplesPerInvocation: 0 };

/**
 * Examples per invocation of the elementwise passes: up to 16 while at least 64 groups of planes
 * remain (a real GPU's parallel work). lavapipe pays a fixed cost per workgroup, a 14 x 14 plane
 * is one workgroup, and the channel's four constants are loaded once per invocation instead of once
 * per element. Eval forward, one example per invocation vs the choice (medians of 9 interleaved
 * rounds in one process, load 1.2): (256,32,28,28) 16.6 vs 6.6 ms, (256,64,14,14) 8.5 vs 3.5 ms,
 * (256,64,7,7) 6.8 vs 2.1 ms.
 */
const examplesPerInvocation = (g: NormGeom): number =>
  normVariants.examplesPerInvocation || Math.min(g.N, itemsPerInvocation(g.N * g.C));
const elementwise = (g: NormGeom) => {
  const NZ = examplesPerInvocation(g);
  return { overrides: { NZ }, workgroups: [Math.ceil((vec4(g) ? g.HW / 4 : g.HW) / EW), g.C, Math.ceil(g.N / NZ)] as [number, number, number] };
};
const size = (g: NormGeom): number => g.N * g.C * g.HW;

export function batchNormStats(rt: GpuRuntime, x: GPUBuffer, runningMean: GPUBuffer, runningVar: GPUBuffer, g: NormGeom, momentum: number): [GPUBuffer, GPUBuffer] {
  const mean = rt.createStorage(g.C * 4, 'batchNorm2d.mean');
  const variance = rt.createStorage(g.C * 4, 'batchNorm2d.variance');
  rt.dispatch({
    shader: 'norm', entry: 'bn_stats', uniforms: uniforms(g, 0, momentum),
    buffers: { x, out: mean, out2: variance, running_mean: runningMean, running_var: runningVar }, workgroups: [g.C],
  });
  return [mean, variance];
}

export function batchNormForward(rt: GpuRuntime, x: GPUBuffer, mean: GPUBuffer, variance: GPUBuffer, gamma: GPUBuffer, beta: GPUBuffer, g: NormGeom, eps: number): GPUBuffer {
  const y = rt.createStorage(size(g) * 4, 'batchNorm2d');
  const common = { uniforms: uniforms(g, eps), ...elementwise(g) };
  if (vec4(g)) rt.dispatch({ shader: 'norm', entry: 'bn_forward_vec4', ...common, buffers: { x4: x, mean, variance, gamma, beta, out4: y } });
  else rt.dispatch({ shader: 'norm', entry: 'bn_forward', ...common, buffers: { x, mean, variance, gamma, beta, out: y } });
  return y;
}

export function batchNormGradSums(rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, mean: GPUBuffer, variance: GPUBuffer, g: NormGeom, eps: number): [GPUBuffer, GPUBuffer] {
  const sumGy = rt.createStorage(g.C * 4, 'batchNorm2d.sumGy');
  const sumGyXhat = rt.createStorage(g.C * 4, 'batchNorm2d.sumGyXhat');
  rt.dispatch({
    shader: 'norm', entry: 'bn_grad_sums', uniforms: uniforms(g, eps),
    buffers: { x, mean, variance, gy, out: sumGy, out2: sumGyXhat }, workgroups: [g.C],
  });
  return [sumGy, sumGyXhat];
}

export function batchNormInputGrad(rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, mean: GPUBuffer, variance: GPUBuffer, gamma: GPUBuffer, sumGy: GPUBuffer, sumGyXhat: GPUBuffer, g: NormGeom, eps: number): GPUBuffer {
  const dx = rt.createStorage(size(g) * 4, 'batchNorm2d backward');
  const common = { uniforms: uniforms(g, eps), ...elementwise(g) };
  const sums = { mean, variance, gamma, sum_gy: sumGy, sum_gy_xhat: sumGyXhat };
  if (vec4(g)) rt.dispatch({ shader: 'norm', entry: 'bn_input_grad_vec4', ...common, buffers: { x4: x, gy4: gy, out4: dx, ...sums } });
  else rt.dispatch({ shader: 'norm', entry: 'bn_input_grad', ...common, buffers: { x, gy, out: dx, ...sums } });
  return dx;
}

export function batchNormInputGradEval(rt: GpuRuntime, gy: GPUBuffer, variance: GPUBuffer, gamma: GPUBuffer, g: NormGeom, eps: number): GPUBuffer {
  const dx = rt.createStorage(size(g) * 4, 'batchNorm2d backward');
  rt.dispatch({
    shader: 'norm', entry: 'bn_input_grad_eval', uniforms: uniforms(g, eps), ...elementwise(g),
    buffers: { variance, gamma, gy, out: dx },
  });
  return dx;
}

export const normKernels = (rt: GpuRuntime) =>
  bindRuntime(rt, { batchNormStats, batchNormForward, batchNormGradSums, batchNormInputGrad, batchNormInputGradEval });
