import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

// Launchers of shaders/attack.wgsl: the fused PGD steps (projection and clip included).
const WG = 64;

/** One invocation per entry. */
export function linfStep(rt: GpuRuntime, x0: GPUBuffer, x: GPUBuffer, g: GPUBuffer, n: number, alpha: number, eps: number): GPUBuffer {
  const out = rt.createStorage(n * 4, 'attack.linf');
  rt.dispatch({
    shader: 'attack', entry: 'linf_step', overrides: { WG },
    uniforms: { n, d: 0, alpha, eps }, buffers: { x0, xt: x, g, out }, workgroups: grid1d(n, WG),
  });
  return out;
}

/** One workgroup per example (grid folded past 65535 rows). */
export function l2Step(rt: GpuRuntime, x0: GPUBuffer, x: GPUBuffer, g: GPUBuffer, rows: number, d: number, alpha: number, eps: number): GPUBuffer {
  const out = rt.createStorage(rows * d * 4, 'attack.l2');
  rt.dispatch({
    shader: 'attack', entry: 'l2_step',
    uniforms: { n: rows, d, alpha, eps }, buffers: { x0, xt: x, g, out }, workgroups: grid1d(rows, 1),
  });
  return out;
}

export const attackKernels = (rt: GpuRuntime) => bindRuntime(rt, { linfStep, l2Step });
