import { sizeOf, type View } from '../types.js';
import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { asGrid3, coalesce } from './coalesce.js';
import { bindRuntime } from './slice.js';

// Launchers of shaders/copy.wgsl: strided views to and from contiguous storage, gather and its adjoint.
const WG = 64;

const viewUniforms = (v: View) => ({ n: sizeOf(v.shape), rank: v.shape.length, offset: v.offset, shape: v.shape, strides: v.strides });

export function readView(rt: GpuRuntime, x: GPUBuffer, v: View): GPUBuffer {
  const n = sizeOf(v.shape);
  const dst = rt.createStorage(n * 4, 'readView');
  const g3 = asGrid3(coalesce(v.shape, [v.strides]), WG);
  if (g3) {
    const view = { shape: g3.shape, strides: g3.strides[0]!, offset: v.offset };
    rt.dispatch({
      shader: 'copy', entry: 'read_view_grid3', overrides: { WG }, uniforms: viewUniforms(view),
      buffers: { src: x, dst }, workgroups: [Math.ceil(g3.shape[2]! / WG), g3.shape[1]!, g3.shape[0]!],
    });
    return dst;
  }
  rt.dispatch({ shader: 'copy', entry: 'read_view', overrides: { WG }, uniforms: viewUniforms(v), buffers: { src: x, dst }, workgroups: grid1d(n, WG) });
  return dst;
}

export function writeView(rt: GpuRuntime, dst: GPUBuffer, v: View, src: GPUBuffer): void {
  const n = sizeOf(v.shape);
  rt.dispatch({ shader: 'copy', entry: 'write_view', overrides: { WG }, uniforms: viewUniforms(v), buffers: { src, dst }, workgroups: grid1d(n, WG) });
}

export function gather(rt: GpuRuntime, x: GPUBuffer, idx: GPUBuffer, outer: number, axisLen: number, inner: number, count: number): GPUBuffer {
  const n = outer * count * inner;
  const dst = rt.createStorage(n * 4, 'gather');
  rt.dispatch({
    shader: 'copy', entry: 'gather_axis', overrides: { WG }, uniforms: { outer, axis_len: axisLen, inner, count },
    buffers: { src: x, dst, idx }, workgroups: grid1d(n, WG),
  });
  return dst;
}

export function indexAdd(rt: GpuRuntime, g: GPUBuffer, idx: GPUBuffer, outer: number, axisLen: number, inner: number, count: number): GPUBuffer {
  const n = outer * axisLen * inner;
  const dst = rt.createStorage(n * 4, 'indexAdd');
  rt.dispatch({
    shader: 'copy', entry: 'index_add', overrides: { WG }, uniforms: { outer, axis_len: axisLen, inner, count },
    buffers: { src: g, dst, idx }, workgroups: grid1d(n, WG),
  });
  return dst;
}

export const copyKernels = (rt: GpuRuntime) => bindRuntime(rt, { readView, writeView, gather, indexAdd });
