import { sizeOf, type View } from '../types.js';
import { grid1d, type GpuRuntime } from '../gpu/runtime.js';
import { shaders } from '../gpu/shaders.generated.js';
import { asGrid3, coalesce } from './coalesce.js';
import { UniformWriter } from './uniform.js';

const WG = 64;
const sizes = shaders.copy.uniformSizes;

const viewUniform = (v: View): ArrayBuffer =>
  new UniformWriter(sizes.v).u(sizeOf(v.shape)).u(v.shape.length).u(v.offset).u(0).dims(v.shape).dims(v.strides).buffer;

export function readView(rt: GpuRuntime, x: GPUBuffer, v: View): GPUBuffer {
  const n = sizeOf(v.shape);
  const out = rt.createStorage(n * 4, 'readView');
  const g3 = asGrid3(coalesce(v.shape, [v.strides]), WG);
  if (g3) {
    const view = { shape: g3.shape, strides: g3.strides[0]!, offset: v.offset };
    rt.dispatch({ shader: 'copy', entry: 'read_view_grid3', overrides: { WG }, uniform: viewUniform(view), buffers: { 1: x, 2: out }, workgroups: [Math.ceil(g3.shape[2]! / WG), g3.shape[1]!, g3.shape[0]!] });
    return out;
  }
  rt.dispatch({ shader: 'copy', entry: 'read_view', overrides: { WG }, uniform: viewUniform(v), buffers: { 1: x, 2: out }, workgroups: grid1d(n, WG) });
  return out;
}

export function writeView(rt: GpuRuntime, dst: GPUBuffer, v: View, src: GPUBuffer): void {
  const n = sizeOf(v.shape);
  rt.dispatch({ shader: 'copy', entry: 'write_view', overrides: { WG }, uniform: viewUniform(v), buffers: { 1: src, 2: dst }, workgroups: grid1d(n, WG) });
}

const gatherUniform = (outer: number, axisLen: number, inner: number, count: number): ArrayBuffer =>
  new UniformWriter(sizes.gp).u(outer).u(axisLen).u(inner).u(count).buffer;

export function gather(rt: GpuRuntime, x: GPUBuffer, idx: GPUBuffer, outer: number, axisLen: number, inner: number, count: number): GPUBuffer {
  const n = outer * count * inner;
  const out = rt.createStorage(n * 4, 'gather');
  rt.dispatch({
    shader: 'copy', entry: 'gather_axis', overrides: { WG }, uniform: gatherUniform(outer, axisLen, inner, count),
    buffers: { 1: x, 2: out, 3: idx }, workgroups: grid1d(n, WG),
  });
  return out;
}

export function indexAdd(rt: GpuRuntime, g: GPUBuffer, idx: GPUBuffer, outer: number, axisLen: number, inner: number, count: number): GPUBuffer {
  const n = outer * axisLen * inner;
  const out = rt.createStorage(n * 4, 'indexAdd');
  rt.dispatch({
    shader: 'copy', entry: 'index_add', overrides: { WG }, uniform: gatherUniform(outer, axisLen, inner, count),
    buffers: { 1: g, 2: out, 3: idx }, workgroups: grid1d(n, WG),
  });
  return out;
}
