import type { PoolGeom } from '../types.js';
import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

// Launchers of shaders/pool.wgsl: one invocation per output (forward) or per input (backward).
const WG = 64;

const uniforms = (g: PoolGeom) => ({
  planes: g.planes, H: g.H, W: g.W, KH: g.KH, KW: g.KW, SH: g.SH, SW: g.SW, PH: g.PH, PW: g.PW, OH: g.OH, OW: g.OW,
});

type PoolEntry = 'max_pool_forward' | 'max_pool_backward' | 'avg_pool_forward' | 'avg_pool_backward';
type TiledEntry = 'max_pool_tiled_forward' | 'max_pool_tiled_backward';

/** The kernel's buffers: the input x (max pooling), the output gradient gy (backward), the output y. */
type PoolBuffers = { x?: GPUBuffer; gy?: GPUBuffer; y: GPUBuffer };

function run(rt: GpuRuntime, entry: PoolEntry, g: PoolGeom, buffers: Omit<PoolBuffers, 'y'>, n: number): GPUBuffer {
  const y = rt.createStorage(n * 4, entry);
  rt.dispatch({ shader: 'pool', entry, overrides: { WG }, uniforms: uniforms(g), buffers: { ...buffers, y }, workgroups: grid1d(n, WG) });
  return y;
}

/** Kernel choices that tests and benchmarks flip to compare or cover variants on one adapter. */
export const poolVariants = { constantWindows: true };

const outSize = (g: PoolGeom): number => g.planes * g.OH * g.OW;
const inSize = (g: PoolGeom): number => g.planes * g.H * g.W;

/** Windows that tile the input exactly (stride = kernel, no padding, no remainder), grid-addressable. */
const tiles = (g: PoolGeom): boolean =>
  g.SH === g.KH && g.SW === g.KW && g.PH === 0 && g.PW === 0 && g.H === g.OH * g.KH && g.W === g.OW * g.KW && g.planes <= 65535;

function runTiled(rt: GpuRuntime, entry: TiledEntry, g: PoolGeom, buffers: Omit<PoolBuffers, 'y'>, n: number): GPUBuffer {
  const y = rt.createStorage(n * 4, entry);
  // 2x2 and 3x3 windows as pipeline constants (TK in pool.wgsl): unrolled loops.
  const TK = g.KH === g.KW && (g.KH === 2 || g.KH === 3) && poolVariants.constantWindows ? g.KH : 0;
  rt.dispatch({ shader: 'pool', entry, overrides: { TK }, uniforms: uniforms(g), buffers: { ...buffers, y }, workgroups: [Math.ceil(g.OW / 8), Math.ceil(g.OH / 8), g.planes] });
  return y;
}

export const maxPool2d = (rt: GpuRuntime, x: GPUBuffer, g: PoolGeom): GPUBuffer =>
  tiles(g) ? runTiled(rt, 'max_pool_tiled_forward', g, { x }, outSize(g)) : run(rt, 'max_pool_forward', g, { x }, outSize(g));
export const maxPool2dBackward = (rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, g: PoolGeom): GPUBuffer =>
  tiles(g) ? runTiled(rt, 'max_pool_tiled_backward', g, { x, gy }, inSize(g)) : run(rt, 'max_pool_backward', g, { x, gy }, inSize(g));
export const avgPool2d = (rt: GpuRuntime, x: GPUBuffer, g: PoolGeom): GPUBuffer => run(rt, 'avg_pool_forward', g, { x }, outSize(g));
export const avgPool2dBackward = (rt: GpuRuntime, gy: GPUBuffer, g: PoolGeom): GPUBuffer => run(rt, 'avg_pool_backward', g, { gy }, inSize(g));

export const poolKernels = (rt: GpuRuntime) => bindRuntime(rt, { maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward });
