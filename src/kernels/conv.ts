import type { ConvGeom } from '../backend/conv.js';
import { grid1d, type GpuRuntime } from '../gpu/runtime.js';
import { reduce } from './reduce.js';
import { shaders } from './shaders.generated.js';
import { UniformWriter } from './uniform.js';

// Launchers of shaders/conv.wgsl. Each invocation owns 8 channels x 4 pixels (forward, input
// gradient) or 8 output channels x 4 weight columns over a chunk of pixels (weight gradient).
const WG = 64;
const CH = 8; // channels per invocation
const PX = 4; // pixels (or weight columns) per invocation

function uniform(g: ConvGeom, hasBias: boolean, splits = 1, chunk = 0): ArrayBuffer {
  return new UniformWriter(shaders.conv.uniformSizes.cv)
    .u(g.N).u(g.C).u(g.H).u(g.W)
    .u(g.O).u(g.OH).u(g.OW).u(g.KH)
    .u(g.KW).u(g.SH).u(g.SW).u(g.PH)
    .u(g.PW).u(g.DH).u(g.DW).u(hasBias ? 1 : 0)
    .u(splits).u(chunk).u(0).u(0).buffer;
}

/** A 1-D grid of `lanes` invocations folded into (x, y), with `z` channel blocks. */
function grid(lanes: number, z: number): [number, number, number] {
  const [x, y] = grid1d(lanes, WG);
  return [x, y, z];
}

export function conv2d(rt: GpuRuntime, x: GPUBuffer, w: GPUBuffer, bias: GPUBuffer | null, g: ConvGeom): GPUBuffer {
  const out = rt.createStorage(g.N * g.O * g.OH * g.OW * 4, 'conv2d');
  rt.dispatch({
    shader: 'conv', entry: 'conv2d_forward', overrides: { WG }, uniform: uniform(g, bias !== null),
    // Without a bias the weights fill the bias binding too (both read-only, so aliasing is allowed).
    buffers: { 1: x, 2: w, 3: out, 4: bias ?? w },
    workgroups: grid(Math.ceil((g.N * g.OH * g.OW) / PX), Math.ceil(g.O / CH)),
  });
  return out;
}

export function conv2dBackwardInput(rt: GpuRuntime, gy: GPUBuffer, w: GPUBuffer, g: ConvGeom): GPUBuffer {
  const out = rt.createStorage(g.N * g.C * g.H * g.W * 4, 'conv2dBackwardInput');
  rt.dispatch({
    shader: 'conv', entry: 'conv2d_backward_input', overrides: { WG }, uniform: uniform(g, false),
    buffers: { 1: gy, 2: w, 3: out },
    workgroups: grid(Math.ceil((g.N * g.H * g.W) / PX), Math.ceil(g.C / CH)),
  });
  return out;
}

/**
 * Split the pixel reduction into `splits` chunks of about 128 pixels (fewer when the partial sums
 * would pass 2^20 floats), then add the partials with the reduce kernel.
 */
export function conv2dBackwardWeight(rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, g: ConvGeom): GPUBuffer {
  const P = g.N * g.OH * g.OW;
  const cols = g.C * g.KH * g.KW;
  const nw = g.O * cols;
  let splits = Math.max(1, Math.min(Math.ceil(P / 128), Math.floor(2 ** 20 / nw)));
  const chunk = Math.ceil(P / splits);
  splits = Math.ceil(P / chunk);
  const part = rt.createStorage(splits * nw * 4, 'conv2dBackwardWeight');
  rt.dispatch({
    shader: 'conv', entry: 'conv2d_backward_weight', overrides: { WG }, uniform: uniform(g, false, splits, chunk),
    buffers: { 1: x, 2: gy, 3: part },
    workgroups: [Math.ceil(splits / WG), Math.ceil(cols / PX), Math.ceil(g.O / CH)],
  });
  if (splits === 1) return part;
  const out = reduce(rt, 'sum', part, { shape: [nw], strides: [1], offset: 0 }, { shape: [splits], strides: [nw], offset: 0 });
  rt.releaseStorage(part);
  return out;
}
