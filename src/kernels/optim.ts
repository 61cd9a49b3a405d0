import type { AdamHyper, SgdHyper } from '../types.js';
import { grid1d, type GpuRuntime } from '../gpu/runtime.js';
import { shaders } from '../gpu/shaders.generated.js';
import { UniformWriter } from './uniform.js';

const WG = 64;
const sizes = shaders.optim.uniformSizes;

/** One fused SGD pass over a parameter tensor (momentum buffer updated in the same pass). */
export function sgdStep(rt: GpuRuntime, p: GPUBuffer, g: GPUBuffer, m: GPUBuffer | null, n: number, h: SgdHyper): void {
  const withMomentum = m !== null && h.momentum !== 0;
  const u = new UniformWriter(sizes.s)
    .u(n).u(h.first ? 1 : 0).u(0).u(0)
    .f(h.lr).f(h.momentum).f(h.dampening).f(h.weightDecay);
  rt.dispatch({
    shader: 'optim', entry: withMomentum ? 'sgd_momentum' : 'sgd',
    overrides: withMomentum ? { WG, NESTEROV: h.nesterov ? 1 : 0 } : { WG },
    uniform: u.buffer, buffers: withMomentum ? { 1: p, 2: g, 3: m! } : { 1: p, 2: g }, workgroups: grid1d(n, WG),
  });
}

/** One fused Adam/AdamW pass: p, m and v read once and written once. */
export function adamStep(rt: GpuRuntime, p: GPUBuffer, g: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, h: AdamHyper): void {
  // Bias corrections are computed in float64 on the host; only their f32 values reach the GPU.
  const bc1 = 1 - h.beta1 ** h.t;
  const bc2 = 1 - h.beta2 ** h.t;
  const u = new UniformWriter(sizes.a)
    .u(n).u(0).u(0).u(0)
    .f(h.lr).f(h.beta1).f(h.beta2).f(h.eps)
    .f(h.weightDecay).f(bc1).f(Math.sqrt(bc2)).f(0);
  rt.dispatch({
    shader: 'optim', entry: 'adam', overrides: { WG, DECOUPLED: h.decoupled ? 1 : 0 },
    uniform: u.buffer, buffers: { 1: p, 2: g, 3: m, 4: v }, workgroups: grid1d(n, WG),
  });
}
