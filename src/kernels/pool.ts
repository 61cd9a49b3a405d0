import type { PoolGeom } from '../types.js';
import { grid1d, itemsPerInvocation } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

// Launchers of shaders/pool.wgsl: one invocation per output (forward) or per input (backward).
const WG = 64;

const uniforms = (g: PoolGeom) => ({
  planes: g.planes, H: g.H, W: g.W, KH: g.KH, KW: g.KW, SH: g.SH, SW: g.SW, PH: g.PH, PW: g.PW, OH: g.OH, OW: g.OW,
});

type PoolEntry = 'max_pool_forward' | 'max_pool_backward' | 'avg_pool_forward' | 'avg_pool_backward';
type TiledEntry = 'max_pool_tiled_forward' | 'max_pool_tiled_backward';
const PAIRS = { max_pool_tiled_forward: 'max_pool_pairs_forward', max_pool_tiled_backward: 'max_pool_pairs_backward' } as const;
const QUADS = { max_pool_tiled_forward: 'max_pool_quads_forward', max_pool_tiled_backward: 'max_pool_quads_backward' } as const;

/** The kernel's buffers: the input x (max pooling), the output gradient gy (backward), the output y. */
type PoolBuffers = { x?: GPUBuffer; gy?: GPUBuffer; y: GPUBuffer };

/** RELU (max pooling only): 1 reads each input as relu(x), the fused reluMaxPool2d (pool.wgsl). */
function run(rt: GpuRuntime, entry: PoolEntry, g: PoolGeom, buffers: Omit<PoolBuffers, 'y'>, n: number, relu?: 0 | 1): GPUBuffer {
  const y = rt.createStorage(n * 4, entry);
  const overrides: Record<string, number> = relu === undefined ? { WG } : { WG, RELU: relu };
  rt.dispatch({ shader: 'pool', entry, overrides, uniforms: uniforms(g), buffers: { ...buffers, y }, workgroups: grid1d(n, WG) });
  return y;
}

/** Kernel choices that tests and benchmarks flip to compare or cover variants on one adapter. */
export const poolVariants = {
  constantWindows: true,
  /** 2x2 tiles: the kernels that move each window row as one vec2 (false: the scalar tiled ones). */
  pairs: true,
  /** With pairs, rows a multiple of 4 wide: two windows per invocation, rows as vec4s. */
  quads: true,
  /** Planes per invocation of the tiled kernels; 0 chooses (see `planesPerInvocation`). */
  planesPerInvocation: 0,
};

/**
 * Up to 16 planes per invocation while at least 64 groups of planes remain (parallel work for a
 * real GPU). On lavapipe, (256, 32, 28, 28) -> 2x2 forward + backward, medians of 9 interleaved
 * rounds in one process at load 4.5: 109 ms with 1 plane, 70 with 4, 51 with 8, 44 with 16; the
 * 14 x 14 output plane alone is four workgroups, and each workgroup has a fixed cost there.
 */
function planesPerInvocation(planes: number): number {
  return poolVariants.planesPerInvocation || itemsPerInvocation(planes);
}

const outSize = (g: PoolGeom): number => g.planes * g.OH * g.OW;
const inSize = (g: PoolGeom): number => g.planes * g.H * g.W;

/** Windows that tile the input exactly (stride = kernel, no padding, no remainder), grid-addressable. */
const tiles = (g: PoolGeom): boolean =>
  g.SH === g.KH && g.SW === g.KW && g.PH === 0 && g.PW === 0 && g.H === g.OH * g.KH && g.W === g.OW * g.KW && g.planes <= 65535;

/**
 * The tiled kernels; 2x2 windows take the vec2-row kernels (`pairs`), or where rows are a multiple
 * of 4 wide the two-windows-per-invocation vec4-row ones (`quads`): lavapipe moves a vector per
 * lane in one gather or scatter. bench/pool-tiles.ts (medians of 7 rounds in one process, load
 * 1.6-1.9, 2026-12-02), scalar/this: 28-wide planes (64|256, 32): pairs 1.17-1.23x, quads
 * 1.35-1.61x; 14-wide planes (64|256, 64), where quads fall back to pairs: 1.1-1.9x (noisy).
 * Same windows, order and bits.
 */
function runTiled(rt: GpuRuntime, entry: TiledEntry, g: PoolGeom, buffers: Omit<PoolBuffers, 'y'>, n: number, relu: 0 | 1): GPUBuffer {
  const y = rt.createStorage(n * 4, entry);
  // 2x2 and 3x3 windows as pipeline constants (TK in pool.wgsl): unrolled loops.
  const TK = g.KH === g.KW && (g.KH === 2 || g.KH === 3) && poolVariants.constantWindows ? g.KH : 0;
  const PZ = planesPerInvocation(g.planes);
  if (TK === 2 && poolVariants.pairs) {
    // The vec2 views: x as x2, and y as y2 where the kernel writes whole window rows (backward).
    const back = entry === 'max_pool_tiled_backward';
    if (g.W % 4 === 0 && poolVariants.quads) {
      rt.dispatch({
        shader: 'pool', entry: QUADS[entry], overrides: { RELU: relu, PZ }, uniforms: uniforms(g),
        buffers: { x4: buffers.x!, ...(buffers.gy ? { gy2: buffers.gy } : {}), ...(back ? { y4: y } : { y2: y }) },
        workgroups: [Math.ceil(g.OW / 16), Math.ceil(g.OH / 8), Math.ceil(g.planes / PZ)],
      });
      return y;
    }
    rt.dispatch({
      shader: 'pool', entry: PAIRS[entry], overrides: { RELU: relu, PZ }, uniforms: uniforms(g),
      buffers: { x2: buffers.x!, ...(buffers.gy ? { gy: buffers.gy } : {}), ...(back ? { y2: y } : { y }) },
      workgroups: [Math.ceil(g.OW / 8), Math.ceil(g.OH / 8), Math.ceil(g.planes / PZ)],
    });
    return y;
  }
  rt.dispatch({
    shader: 'pool', entry, overrides: { TK, RELU: relu, PZ }, uniforms: uniforms(g), buffers: { ...buffers, y },
    workgroups: [Math.ceil(g.OW / 8), Math.ceil(g.OH / 8), Math.ceil(g.planes / PZ)],
  });
  return y;
}

const maxForward = (rt: GpuRuntime, x: GPUBuffer, g: PoolGeom, relu: 0 | 1): GPUBuffer =>
  tiles(g) ? runTiled(rt, 'max_pool_tiled_forward', g, { x }, outSize(g), relu) : run(rt, 'max_pool_forward', g, { x }, outSize(g), relu);
const maxBackward = (rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, g: PoolGeom, relu: 0 | 1): GPUBuffer =>
  tiles(g) ? runTiled(rt, 'max_pool_tiled_backward', g, { x, gy }, inSize(g), relu) : run(rt, 'max_pool_backward', g, { x, gy }, inSize(g), relu);

export const maxPool2d = (rt: GpuRuntime, x: GPUBuffer, g: PoolGeom): GPUBuffer => maxForward(rt, x, g, 0);
export const maxPool2dBackward = (rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, g: PoolGeom): GPUBuffer => maxBackward(rt, x, gy, g, 0);
/** maxPool2d(relu(z)) from z, and its gradient with respect to z (the same kernels with RELU = 1). */
export const reluMaxPool2d = (rt: GpuRuntime, z: GPUBuffer, g: PoolGeom): GPUBuffer => maxForward(rt, z, g, 1);
export const reluMaxPool2dBackward = (rt: GpuRuntime, z: GPUBuffer, gy: GPUBuffer, g: PoolGeom): GPUBuffer => maxBackward(rt, z, gy, g, 1);
export const avgPool2d = (rt: GpuRuntime, x: GPUBuffer, g: PoolGeom): GPUBuffer => run(rt, 'avg_pool_forward', g, { x }, outSize(g));
export const avgPool2dBackward = (rt: GpuRuntime, gy: GPUBuffer, g: PoolGeom): GPUBuffer => run(rt, 'avg_pool_backward', g, { gy }, inSize(g));

export const poolKernels = (rt: GpuRuntime) => bindRuntime(rt, { maxPool2d, maxPool2dBackward, reluMaxPool2d, reluMaxPool2dBackward, avgPool2d, avgPool2dBackward });
