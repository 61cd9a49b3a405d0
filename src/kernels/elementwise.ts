import { type BinaryOp, sizeOf, type UnaryOp, type UnaryParams, type View } from '../types.js';
import { grid1d, type GpuRuntime } from '../gpu/runtime.js';
import { shaders } from '../gpu/shaders.generated.js';
import { asGrid3, coalesce } from './coalesce.js';
import { UniformWriter } from './uniform.js';

// Op codes: the `switch OP` cases of shaders/elementwise.wgsl.
const UNARY_CODE: Record<UnaryOp, number> = {
  neg: 0, abs: 1, sign: 2, exp: 3, log: 4, sqrt: 5, relu: 6, sigmoid: 7, tanh: 8,
  square: 9, reciprocal: 10, step: 11, affine: 12, clamp: 13, rsqrt: 14,
};
const BINARY_CODE: Record<BinaryOp, number> = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, max: 5, min: 6, lt: 7, le: 8, gt: 9, ge: 10, eq: 11, ne: 12,
};

const WG = 64;
/** vec4s per invocation in the contiguous fast paths (4 measured best for a copy, perf-facts.md). */
const VPT = 4;
const sizes = shaders.elementwise.uniformSizes;

/** Contiguous work of n elements can run as vec4s when n % 4 == 0 (and is worth it past a few). */
const vec4able = (n: number): boolean => n % 4 === 0 && n >= 64;

export function unary(rt: GpuRuntime, op: UnaryOp, x: GPUBuffer, n: number, p: UnaryParams = {}): GPUBuffer {
  const out = rt.createStorage(n * 4, `unary.${op}`);
  const u = new UniformWriter(sizes.u).u(n).f(p.alpha ?? 1).f(p.beta ?? 0);
  const v4 = vec4able(n);
  rt.dispatch({
    shader: 'elementwise', entry: v4 ? 'unary_vec4' : 'unary',
    overrides: v4 ? { OP: UNARY_CODE[op], WG, VPT } : { OP: UNARY_CODE[op], WG },
    uniform: u.buffer, buffers: { 1: x, 2: out }, workgroups: grid1d(v4 ? Math.ceil(n / (4 * VPT)) : n, WG),
  });
  return out;
}

const isContiguous = (v: View, shape: readonly number[]): boolean => {
  if (v.offset !== 0) return false;
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && v.strides[d] !== acc) return false;
    acc *= shape[d]!;
  }
  return true;
};

function strided3(n: number, shape: readonly number[], a: View, b: View, c?: View): ArrayBuffer {
  return new UniformWriter(sizes.s)
    .u(n).u(shape.length).u(a.offset).u(b.offset).u(c?.offset ?? 0).u(0).u(0).u(0)
    .dims(shape).dims(a.strides).dims(b.strides).dims(c?.strides ?? [])
    .buffer;
}

export function binary(rt: GpuRuntime, op: BinaryOp, a: GPUBuffer, av: View, b: GPUBuffer, bv: View, shape: readonly number[]): GPUBuffer {
  const n = sizeOf(shape);
  const out = rt.createStorage(n * 4, `binary.${op}`);
  const contiguous = isContiguous(av, shape) && isContiguous(bv, shape);
  const v4 = contiguous && vec4able(n);
  const g3 = contiguous ? null : asGrid3(coalesce(shape, [av.strides, bv.strides]), WG);
  if (g3) {
    rt.dispatch({
      shader: 'elementwise', entry: 'binary_grid3', overrides: { OP: BINARY_CODE[op], WG },
      uniform: strided3(n, g3.shape, { ...av, strides: g3.strides[0]! }, { ...bv, strides: g3.strides[1]! }),
      buffers: { 1: a, 2: b, 3: out }, workgroups: [Math.ceil(g3.shape[2]! / WG), g3.shape[1]!, g3.shape[0]!],
    });
    return out;
  }
  rt.dispatch({
    shader: 'elementwise', entry: v4 ? 'binary_contiguous_vec4' : contiguous ? 'binary_contiguous' : 'binary',
    overrides: v4 ? { OP: BINARY_CODE[op], WG, VPT } : { OP: BINARY_CODE[op], WG },
    uniform: strided3(n, shape, av, bv), buffers: { 1: a, 2: b, 3: out },
    workgroups: grid1d(v4 ? Math.ceil(n / (4 * VPT)) : n, WG),
  });
  return out;
}

export function where(rt: GpuRuntime, cond: GPUBuffer, cv: View, a: GPUBuffer, av: View, b: GPUBuffer, bv: View, shape: readonly number[]): GPUBuffer {
  const n = sizeOf(shape);
  const out = rt.createStorage(n * 4, 'where');
  const g3 = asGrid3(coalesce(shape, [cv.strides, av.strides, bv.strides]), WG);
  if (g3) {
    rt.dispatch({
      shader: 'elementwise', entry: 'select_where_grid3', overrides: { WG },
      uniform: strided3(n, g3.shape, { ...cv, strides: g3.strides[0]! }, { ...av, strides: g3.strides[1]! }, { ...bv, strides: g3.strides[2]! }),
      buffers: { 1: cond, 2: a, 4: b, 5: out }, workgroups: [Math.ceil(g3.shape[2]! / WG), g3.shape[1]!, g3.shape[0]!],
    });
    return out;
  }
  rt.dispatch({
    shader: 'elementwise', entry: 'select_where', overrides: { WG },
    uniform: strided3(n, shape, cv, av, bv), buffers: { 1: cond, 2: a, 4: b, 5: out }, workgroups: grid1d(n, WG),
  });
  return out;
}
