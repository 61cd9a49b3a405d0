import type { CoreOps } from '../types.js';
import { type BinaryOp, type DType, type MatView, type ReduceOp, sizeOf, type UnaryOp, type UnaryParams, type View } from '../../types.js';

/**
 * The float64 reference for the core ops. Written for clarity, not speed: every loop walks the
 * logical index space and computes addresses the same way the WGSL kernels do.
 */

/** Call fn(flatIndex, address) for every element of a view, in row-major order. */
export function forEachInView(v: View, fn: (i: number, addr: number) => void): void {
  const rank = v.shape.length;
  const n = sizeOf(v.shape);
  const idx = new Array<number>(rank).fill(0);
  let addr = v.offset;
  for (let i = 0; i < n; i++) {
    fn(i, addr);
    // Increment the multi-index like an odometer, updating the address incrementally.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      addr += v.strides[d]!;
      if (idx[d]! < v.shape[d]!) break;
      addr -= v.strides[d]! * v.shape[d]!;
      idx[d] = 0;
    }
  }
}

/**
 * NaN and Inf follow PyTorch / NumPy (the WGSL kernels do the same): NaN propagates through relu,
 * sign, clamp, maximum/minimum and the max/min reductions; argmax returns the first NaN's index;
 * comparisons with NaN are false except ne; pow is C's pow (pow(x, 0) = 1 and pow(1, y) = 1 even for
 * NaN, pow(−1, ±Inf) = 1), where JavaScript's Math.pow gives NaN.
 */
const cPow = (a: number, b: number): number => (b === 0 || a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : Math.pow(a, b));

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

export function unaryFn(op: UnaryOp, p: UnaryParams = {}): (x: number) => number {
  const alpha = p.alpha ?? 1;
  const beta = p.beta ?? 0;
  switch (op) {
    case 'neg': return (x) => -x;
    case 'abs': return Math.abs;
    case 'sign': return (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN);
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'sqrt': return Math.sqrt;
    case 'relu': return (x) => (x > 0 || Number.isNaN(x) ? x : 0);
    case 'sigmoid': return sigmoid;
    case 'tanh': return Math.tanh;
    case 'square': return (x) => x * x;
    case 'reciprocal': return (x) => 1 / x;
    case 'step': return (x) => (x > 0 ? 1 : 0);
    case 'affine': return (x) => alpha * x + beta;
    case 'clamp': return (x) => Math.min(Math.max(x, alpha), beta);
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
  }
}

export function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return (a, b) => a / b;
    case 'pow': return cPow;
    case 'max': return Math.max;
    case 'min': return Math.min;
    case 'lt': return (a, b) => +(a < b);
    case 'le': return (a, b) => +(a <= b);
    case 'gt': return (a, b) => +(a > b);
    case 'ge': return (a, b) => +(a >= b);
    case 'eq': return (a, b) => +(a === b);
    case 'ne': return (a, b) => +(a !== b);
    case 'reluGrad': return (g, x) => g * (x > 0 ? 1 : 0); // g · step(x): Inf · 0 = NaN, as the two ops
  }
}

function reduceFn(op: ReduceOp): { init: number; f: (acc: number, x: number) => number } {
  switch (op) {
    case 'sum': return { init: 0, f: (a, x) => a + x };
    case 'max': return { init: -Infinity, f: (a, x) => (x > a || Number.isNaN(x) ? x : a) };
    case 'min': return { init: Infinity, f: (a, x) => (x < a || Number.isNaN(x) ? x : a) };
  }
}

export const cpuCore: Omit<CoreOps<Float64Array>, 'kind' | 'describe'> = {
  fromData(data: ArrayLike<number>, _dtype: DType): Float64Array {
    return Float64Array.from(data);
  },
  fill(size: number, value: number): Float64Array {
    return new Float64Array(size).fill(value);
  },
  async read(s: Float64Array, size: number, dtype: DType) {
    return dtype === 'int32' ? Int32Array.from(s.subarray(0, size)) : s.slice(0, size);
  },
  free(): void {},

  unary(op, x, size, params) {
    const f = unaryFn(op, params);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = f(x[i]!);
    return out;
  },

  binary(op, a, av, b, bv, shape) {
    const f = binaryFn(op);
    const out = new Float64Array(sizeOf(shape));
    const bAddr = new Array<number>(out.length);
    forEachInView({ ...bv, shape }, (i, addr) => (bAddr[i] = addr));
    forEachInView({ ...av, shape }, (i, addr) => (out[i] = f(a[addr]!, b[bAddr[i]!]!)));
    return out;
  },

  where(cond, cv, a, av, b, bv, shape) {
    const n = sizeOf(shape);
    const c = new Array<number>(n);
    const va = new Array<number>(n);
    const out = new Float64Array(n);
    forEachInView({ ...cv, shape }, (i, addr) => (c[i] = cond[addr]!));
    forEachInView({ ...av, shape }, (i, addr) => (va[i] = a[addr]!));
    forEachInView({ ...bv, shape }, (i, addr) => (out[i] = c[i] !== 0 ? va[i]! : b[addr]!));
    return out;
  },

  reduce(op, x, kept, red) {
    const { init, f } = reduceFn(op);
    const out = new Float64Array(sizeOf(kept.shape));
    forEachInView(kept, (o, base) => {
      let acc = init;
      forEachInView({ ...red, offset: base }, (_, addr) => (acc = f(acc, x[addr]!)));
      out[o] = acc;
    });
    return out;
  },

  argmax(x, kept, red) {
    const out = new Float64Array(sizeOf(kept.shape));
    forEachInView(kept, (o, base) => {
      let best = -Infinity;
      let bestK = 0;
      let first = true;
      forEachInView({ ...red, offset: base }, (k, addr) => {
        const v = x[addr]!;
        if (Number.isNaN(best)) return; // the first NaN wins
        if (first || v > best || Number.isNaN(v)) {
          best = v;
          bestK = k;
          first = false;
        }
      });
      out[o] = bestK;
    });
    return out;
  },

  matmul(a: Float64Array, av: MatView, b: Float64Array, bv: MatView, batch, m, k, n) {
    const out = new Float64Array(batch * m * n);
    for (let t = 0; t < batch; t++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) {
            acc += a[av.offset + t * av.sb + i * av.si + p * av.sj]! * b[bv.offset + t * bv.sb + p * bv.si + j * bv.sj]!;
          }
          out[(t * m + i) * n + j] = acc;
        }
      }
    }
    return out;
  },

  readView(x, v) {
    const out = new Float64Array(sizeOf(v.shape));
    forEachInView(v, (i, addr) => (out[i] = x[addr]!));
    return out;
  },

  writeView(dst, v, src) {
    forEachInView(v, (i, addr) => (dst[addr] = src[i]!));
  },

  gather(x, idx, outer, axisLen, inner, count) {
    const out = new Float64Array(outer * count * inner);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < count; j++)
        for (let i = 0; i < inner; i++) out[(o * count + j) * inner + i] = x[(o * axisLen + idx[j]!) * inner + i]!;
    return out;
  },

  indexAdd(g, idx, outer, axisLen, inner, count) {
    const out = new Float64Array(outer * axisLen * inner);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < count; j++)
        for (let i = 0; i < inner; i++) out[(o * axisLen + idx[j]!) * inner + i]! += g[(o * count + j) * inner + i]!;
    return out;
  },
};
