import { grid1d, type GpuRuntime } from '../gpu/runtime.js';
import { shaders } from '../gpu/shaders.generated.js';
import { UniformWriter } from './uniform.js';

const WG = 64;
const bytes = shaders.attack.uniformSizes.st;

const uniform = (n: number, d: number, alpha: number, eps: number): ArrayBuffer =>
  new UniformWriter(bytes).u(n).u(d).f(alpha).f(eps).buffer;

/** One invocation per entry; see shaders/attack.wgsl. */
export function linfStep(rt: GpuRuntime, x0: GPUBuffer, x: GPUBuffer, g: GPUBuffer, n: number, alpha: number, eps: number): GPUBuffer {
  const out = rt.createStorage(n * 4, 'attack.linf');
  rt.dispatch({
    shader: 'attack', entry: 'linf_step', overrides: { WG },
    uniform: uniform(n, 0, alpha, eps), buffers: { 1: x0, 2: x, 3: g, 4: out }, workgroups: grid1d(n, WG),
  });
  return out;
}

/** One workgroup per example (grid folded past 65535 rows). */
export function l2Step(rt: GpuRuntime, x0: GPUBuffer, x: GPUBuffer, g: GPUBuffer, rows: number, d: number, alpha: number, eps: number): GPUBuffer {
  const out = rt.createStorage(rows * d * 4, 'attack.l2');
  rt.dispatch({
    shader: 'attack', entry: 'l2_step',
    uniform: uniform(rows, d, alpha, eps), buffers: { 1: x0, 2: x, 3: g, 4: out }, workgroups: grid1d(rows, 1),
  });
  return out;
}
