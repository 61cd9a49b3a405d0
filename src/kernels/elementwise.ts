import { type BinaryOp, sizeOf, type UnaryOp, type UnaryParams, type View } from '../types.js';
import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { asGrid3, coalesce } from './coalesce.js';
import { bindRuntime } from './slice.js';

// Op codes: the `switch OP` cases of shaders/elementwise.wgsl.
const UNARY_CODE: Record<UnaryOp, number> = {
  neg: 0, abs: 1, sign: 2, exp: 3, log: 4, sqrt: 5, relu: 6, sigmoid: 7, tanh: 8,
  square: 9, reciprocal: 10, step: 11, affine: 12, clamp: 13, rsqrt: 14,
};
const BINARY_CODE: Record<BinaryOp, number> = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, max: 5, min: 6, lt: 7, le: 8, gt: 9, ge: 10, eq: 11, ne: 12, reluGrad: 13,
};

const WG = 64;
/** vec4s per invocation in the contiguous fast paths (4 measured best for a copy, perf-facts.md). */
const VPT = 4;

/** Contiguous work of n elements can run as vec4s when n % 4 == 0 (and is worth it past a few). */
const vec4able = (n: number): boolean => n % 4 === 0 && n >= 64;

export function unary(rt: GpuRuntime, op: UnaryOp, x: GPUBuffer, n: number, p: UnaryParams = {}): GPUBuffer {
  const out = rt.createStorage(n * 4, `unary.${op}`);
  const uniforms = { n, alpha: p.alpha ?? 1, beta: p.beta ?? 0 };
  if (vec4able(n)) {
    rt.dispatch({
      shader: 'elementwise', entry: 'unary_vec4', overrides: { OP: UNARY_CODE[op], WG, VPT },
      uniforms, buffers: { ux4: x, uy4: out }, workgroups: grid1d(Math.ceil(n / (4 * VPT)), WG),
    });
  } else {
    rt.dispatch({ shader: 'elementwise', entry: 'unary', overrides: { OP: UNARY_CODE[op], WG }, uniforms, buffers: { ux: x, uy: out }, workgroups: grid1d(n, WG) });
  }
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

/** The Strided3 uniform: up to three operand views broadcast over `shape` (c only for select). */
const strided3 = (n: number, shape: readonly number[], a: View, b: View, c?: View) => ({
  n, rank: shape.length, off_a: a.offset, off_b: b.offset, off_c: c?.offset ?? 0,
  shape, sa: a.strides, sb: b.strides, sc: c?.strides ?? [],
});

export function binary(rt: GpuRuntime, op: BinaryOp, a: GPUBuffer, av: View, b: GPUBuffer, bv: View, shape: readonly number[]): GPUBuffer {
  const n = sizeOf(shape);
  const out = rt.createStorage(n * 4, `binary.${op}`);
  const contiguous = isContiguous(av, shape) && isContiguous(bv, shape);
  const v4 = contiguous && vec4able(n);
  const g3 = contiguous ? null : asGrid3(coalesce(shape, [av.strides, bv.strides]), WG);
  if (g3) {
    rt.dispatch({
      shader: 'elementwise', entry: 'binary_grid3', overrides: { OP: BINARY_CODE[op], WG },
      uniforms: strided3(n, g3.shape, { ...av, strides: g3.strides[0]! }, { ...bv, strides: g3.strides[1]! }),
      buffers: { a, b, out }, workgroups: [Math.ceil(g3.shape[2]! / WG), g3.shape[1]!, g3.shape[0]!],
    });
    return out;
  }
  const uniforms = strided3(n, shape, av, bv);
  if (v4) {
    rt.dispatch({
      shader: 'elementwise', entry: 'binary_contiguous_vec4', overrides: { OP: BINARY_CODE[op], WG, VPT },
      uniforms, buffers: { a4: a, b4: b, out4: out }, workgroups: grid1d(Math.ceil(n / (4 * VPT)), WG),
    });
  } else {
    rt.dispatch({
      shader: 'elementwise', entry: contiguous ? 'binary_contiguous' : 'binary', overrides: { OP: BINARY_CODE[op], WG },
      uniforms, buffers: { a, b, out }, workgroups: grid1d(n, WG),
    });
  }
  return out;
}

/** out = cond != 0 ? a : b (the shader's select kernels read cond as `a`, the choices as `b` and `c`). */
export function where(rt: GpuRuntime, cond: GPUBuffer, cv: View, a: GPUBuffer, av: View, b: GPUBuffer, bv: View, shape: readonly number[]): GPUBuffer {
  const n = sizeOf(shape);
  const out = rt.createStorage(n * 4, 'where');
  const g3 = asGrid3(coalesce(shape, [cv.strides, av.strides, bv.strides]), WG);
  if (g3) {
    rt.dispatch({
      shader: 'elementwise', entry: 'select_where_grid3', overrides: { WG },
      uniforms: strided3(n, g3.shape, { ...cv, strides: g3.strides[0]! }, { ...av, strides: g3.strides[1]! }, { ...bv, strides: g3.strides[2]! }),
      buffers: { a: cond, b: a, c: b, out3: out }, workgroups: [Math.ceil(g3.shape[2]! / WG), g3.shape[1]!, g3.shape[0]!],
    });
    return out;
  }
  rt.dispatch({
    shader: 'elementwise', entry: 'select_where', overrides: { WG },
    uniforms: strided3(n, shape, cv, av, bv), buffers: { a: cond, b: a, c: b, out3: out }, workgroups: grid1d(n, WG),
  });
  return out;
}

export const elementwiseKernels = (rt: GpuRuntime) => bindRuntime(rt, { unary, binary, where });
