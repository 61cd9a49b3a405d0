import type { PoolGeom } from '../types.js';
import { grid1d, type GpuRuntime } from '../gpu/runtime.js';
import { shaders } from '../gpu/shaders.generated.js';
import { UniformWriter } from './uniform.js';

// Launchers of shaders/pool.wgsl: one invocation per output (forward) or per input (backward).
const WG = 64;

const uniform = (g: PoolGeom): ArrayBuffer =>
  new UniformWriter(shaders.pool.uniformSizes.pp)
    .u(g.planes).u(g.H).u(g.W).u(g.KH)
    .u(g.KW).u(g.SH).u(g.SW).u(g.PH)
    .u(g.PW).u(g.OH).u(g.OW).u(0).buffer;

function run(rt: GpuRuntime, entry: string, g: PoolGeom, x: GPUBuffer | null, gy: GPUBuffer | null, n: number): GPUBuffer {
  const out = rt.createStorage(n * 4, entry);
  const buffers: Record<number, GPUBuffer> = { 3: out };
  if (x) buffers[1] = x;
  if (gy) buffers[2] = gy;
  rt.dispatch({ shader: 'pool', entry, overrides: { WG }, uniform: uniform(g), buffers, workgroups: grid1d(n, WG) });
  return out;
}

const outSize = (g: PoolGeom): number => g.planes * g.OH * g.OW;
const inSize = (g: PoolGeom): number => g.planes * g.H * g.W;

/** Windows that tile the input exactly (stride = kernel, no padding, no remainder), grid-addressable. */
const tiles = (g: PoolGeom): boolean =>
  g.SH === g.KH && g.SW === g.KW && g.PH === 0 && g.PW === 0 && g.H === g.OH * g.KH && g.W === g.OW * g.KW && g.planes <= 65535;

function runTiled(rt: GpuRuntime, entry: string, g: PoolGeom, x: GPUBuffer, gy: GPUBuffer | null, n: number): GPUBuffer {
  const out = rt.createStorage(n * 4, entry);
  const buffers: Record<number, GPUBuffer> = { 1: x, 3: out };
  if (gy) buffers[2] = gy;
  rt.dispatch({ shader: 'pool', entry, uniform: uniform(g), buffers, workgroups: [Math.ceil(g.OW / 8), Math.ceil(g.OH / 8), g.planes] });
  return out;
}

export const maxPool2d = (rt: GpuRuntime, x: GPUBuffer, g: PoolGeom): GPUBuffer =>
  tiles(g) ? runTiled(rt, 'max_pool_tiled_forward', g, x, null, outSize(g)) : run(rt, 'max_pool_forward', g, x, null, outSize(g));
export const maxPool2dBackward = (rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, g: PoolGeom): GPUBuffer =>
  tiles(g) ? runTiled(rt, 'max_pool_tiled_backward', g, x, gy, inSize(g)) : run(rt, 'max_pool_backward', g, x, gy, inSize(g));
export const avgPool2d = (rt: GpuRuntime, x: GPUBuffer, g: PoolGeom): GPUBuffer => run(rt, 'avg_pool_forward', g, x, null, outSize(g));
export const avgPool2dBackward = (rt: GpuRuntime, gy: GPUBuffer, g: PoolGeom): GPUBuffer => run(rt, 'avg_pool_backward', g, null, gy, inSize(g));
