import type { NormGeom } from '../types.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { shaders } from '../gpu/shaders.generated.js';
import { UniformWriter } from './uniform.js';

// Launchers of shaders/norm.wgsl: per-channel reductions run one workgroup per channel; the
// elementwise passes a (⌈HW / 64⌉, C, N) grid.
const EW = 64;

const uniform = (g: NormGeom, eps = 0, momentum = 0): ArrayBuffer =>
  new UniformWriter(shaders.norm.uniformSizes.nm).u(g.N).u(g.C).u(g.HW).u(0).f(eps).f(momentum).buffer;

/** Planes of a multiple of 4 values run as vec4s (one per invocation). */
const vec4 = (g: NormGeom): boolean => g.HW % 4 === 0;
const elementwiseGrid = (g: NormGeom): [number, number, number] => [Math.ceil((vec4(g) ? g.HW / 4 : g.HW) / EW), g.C, g.N];
const size = (g: NormGeom): number => g.N * g.C * g.HW;

export function batchNormStats(rt: GpuRuntime, x: GPUBuffer, runningMean: GPUBuffer, runningVar: GPUBuffer, g: NormGeom, momentum: number): [GPUBuffer, GPUBuffer] {
  const mean = rt.createStorage(g.C * 4, 'batchNorm2d.mean');
  const variance = rt.createStorage(g.C * 4, 'batchNorm2d.variance');
  rt.dispatch({
    shader: 'norm', entry: 'bn_stats', uniform: uniform(g, 0, momentum),
    buffers: { 1: x, 8: mean, 11: variance, 9: runningMean, 10: runningVar }, workgroups: [g.C],
  });
  return [mean, variance];
}

export function batchNormForward(rt: GpuRuntime, x: GPUBuffer, mean: GPUBuffer, variance: GPUBuffer, gamma: GPUBuffer, beta: GPUBuffer, g: NormGeom, eps: number): GPUBuffer {
  const y = rt.createStorage(size(g) * 4, 'batchNorm2d');
  rt.dispatch({
    shader: 'norm', entry: vec4(g) ? 'bn_forward_vec4' : 'bn_forward', uniform: uniform(g, eps),
    buffers: { 1: x, 2: mean, 3: variance, 4: gamma, 5: beta, 8: y }, workgroups: elementwiseGrid(g),
  });
  return y;
}

export function batchNormGradSums(rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, mean: GPUBuffer, variance: GPUBuffer, g: NormGeom, eps: number): [GPUBuffer, GPUBuffer] {
  const sumGy = rt.createStorage(g.C * 4, 'batchNorm2d.sumGy');
  const sumGyXhat = rt.createStorage(g.C * 4, 'batchNorm2d.sumGyXhat');
  rt.dispatch({
    shader: 'norm', entry: 'bn_grad_sums', uniform: uniform(g, eps),
    buffers: { 1: x, 2: mean, 3: variance, 6: gy, 8: sumGy, 11: sumGyXhat }, workgroups: [g.C],
  });
  return [sumGy, sumGyXhat];
}

export function batchNormInputGrad(rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, mean: GPUBuffer, variance: GPUBuffer, gamma: GPUBuffer, sumGy: GPUBuffer, sumGyXhat: GPUBuffer, g: NormGeom, eps: number): GPUBuffer {
  const dx = rt.createStorage(size(g) * 4, 'batchNorm2d backward');
  rt.dispatch({
    shader: 'norm', entry: vec4(g) ? 'bn_input_grad_vec4' : 'bn_input_grad', uniform: uniform(g, eps),
    buffers: { 1: x, 2: mean, 3: variance, 4: gamma, 6: gy, 7: sumGy, 12: sumGyXhat, 8: dx }, workgroups: elementwiseGrid(g),
  });
  return dx;
}

export function batchNormInputGradEval(rt: GpuRuntime, gy: GPUBuffer, variance: GPUBuffer, gamma: GPUBuffer, g: NormGeom, eps: number): GPUBuffer {
  const dx = rt.createStorage(size(g) * 4, 'batchNorm2d backward');
  rt.dispatch({
    shader: 'norm', entry: 'bn_input_grad_eval', uniform: uniform(g, eps),
    buffers: { 3: variance, 4: gamma, 6: gy, 8: dx }, workgroups: elementwiseGrid(g),
  });
  return dx;
}
