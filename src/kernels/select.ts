/**
 * The selection family (shaders/select.wgsl): the median of all values of a float32 buffer, kept on
 * the GPU in a one-element buffer (the RBF bandwidth of methods.md §1.1 reads it from there, so the
 * n × n distance matrix never comes back to the host). Radix select: 4 histogram passes over the
 * data (5 for an even count), about 10 dispatches and no readback.
 */
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

const LANES = 256; // workgroup size of every select entry point, one lane per histogram bin
const HIST = 4; // state words before the histograms
const STATE_WORDS = HIST + 4 * LANES;
/** Values per lane a histogram workgroup aims at: fewer workgroups, fewer global atomic merges. */
const PER_LANE = 32;
const MAX_GROUPS = 4096;

const fields = (size: number, shift: number, slot: number, odd: boolean) => ({ size, shift, slot, odd: odd ? 1 : 0 });

/**
 * numpy's median of the first `size` values of x (every value counts, zeros included; for an even
 * count the mean of the two middle values) as a new one-element buffer. NaN orders above +Inf.
 */
export function median(rt: GpuRuntime, x: GPUBuffer, size: number): GPUBuffer {
  const odd = size % 2 === 1;
  const init = new Uint32Array(STATE_WORDS);
  init[1] = odd ? (size - 1) / 2 : size / 2 - 1; // the rank sought: the (lower) middle value
  init[3] = 0xffffffff;
  const state = rt.createFilled(init, 'select.state');
  const groups = Math.min(MAX_GROUPS, Math.max(1, Math.ceil(size / (LANES * PER_LANE))));
  for (let slot = 0; slot < 4; slot++) {
    const u = fields(size, 24 - 8 * slot, slot, odd);
    rt.dispatch({ shader: 'select', entry: 'histogram', uniforms: u, buffers: { src: x, state }, workgroups: [groups] });
    rt.dispatch({ shader: 'select', entry: 'pick', uniforms: u, buffers: { state }, workgroups: [1] });
  }
  const u = fields(size, 0, 0, odd);
  if (!odd) rt.dispatch({ shader: 'select', entry: 'min_above', uniforms: u, buffers: { src: x, state }, workgroups: [groups] });
  const out = rt.createStorage(4, 'select.median');
  rt.dispatch({ shader: 'select', entry: 'finish', uniforms: u, buffers: { state, dst: out }, workgroups: [1] });
  rt.releaseStorage(state);
  return out;
}

/** This family's slice of the webgpu Backend. */
export const selectKernels = (rt: GpuRuntime) => bindRuntime(rt, { median });
