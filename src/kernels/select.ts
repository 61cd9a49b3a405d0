/**
 * The selection family (shaders/select.wgsl): the median of all values of a float32 buffer, kept on
 * the GPU in a one-element buffer (the RBF bandwidth of methods.md §1.1 reads it from there, so the
 * n × n distance matrix never comes back to the host). Radix select: 4 histogram passes over the
 * data (5 for an even count), about 10 dispatches and no readback.
 */
import type { GpuRuntime } from '../gpu/runtime.js';
import { shaders } from '../gpu/shaders.generated.js';
import { UniformWriter } from './uniform.js';

const LANES = 256; // workgroup size of every select entry point, one lane per histogram bin
const HIST = 4; // state words before the histograms
const STATE_WORDS = HIST + 4 * LANES;
/** Values per lane a histogram workgroup aims at: fewer workgroups, fewer global atomic merges. */
const PER_LANE = 32;
const MAX_GROUPS = 4096;

function uniform(size: number, shift: number, slot: number, odd: boolean): ArrayBuffer {
  return new UniformWriter(shaders.select.uniformSizes.u).u(size).u(shift).u(slot).u(odd ? 1 : 0).buffer;
}

/**
 * numpy's median of the first `size` values of x (every value counts, zeros included; for an even
 * count the mean of the two middle values) as a new one-element buffer. NaN orders above +Inf.
 */
export function median(rt: GpuRuntime, x: GPUBuffer, size: number): GPUBuffer {
  const odd = size % 2 === 1;
  const init = new Uint32Array(STATE_WORDS);
  init[1] = odd ? (size - 1) / 2 : size / 2 - 1; // the rank sought: the (lower) middle value
  init[3] = 0xffffffff;
  const state = rt.createStorage(STATE_WORDS * 4, 'select.state');
  rt.upload(state, init);
  const groups = Math.min(MAX_GROUPS, Math.max(1, Math.ceil(size / (LANES * PER_LANE))));
  for (let slot = 0; slot < 4; slot++) {
    const u = uniform(size, 24 - 8 * slot, slot, odd);
    rt.dispatch({ shader: 'select', entry: 'histogram', uniform: u, buffers: { 1: x, 2: state }, workgroups: [groups] });
    rt.dispatch({ shader: 'select', entry: 'pick', uniform: u, buffers: { 2: state }, workgroups: [1] });
  }
  const u = uniform(size, 0, 0, odd);
  if (!odd) rt.dispatch({ shader: 'select', entry: 'min_above', uniform: u, buffers: { 1: x, 2: state }, workgroups: [groups] });
  const out = rt.createStorage(4, 'select.median');
  rt.dispatch({ shader: 'select', entry: 'finish', uniform: u, buffers: { 2: state, 3: out }, workgroups: [1] });
  rt.releaseStorage(state);
  return out;
}

/** This family's slice of the webgpu Backend. */
export function selectKernels(rt: GpuRuntime): { median(x: GPUBuffer, size: number): GPUBuffer } {
  return { median: (x, size) => median(rt, x, size) };
}
