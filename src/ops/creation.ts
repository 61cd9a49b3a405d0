import type { Backend } from '../backend/types.js';
import { type DType, sizeOf } from '../types.js';
import { getBackend } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor.js';
import { checkAlloc, checkShape, wrap } from './util.js';

export interface CreateOptions {
  dtype?: DType;
  backend?: Backend<any>;
}

type Nested = number | readonly Nested[];

function flatten(data: Nested, shape: number[], out: number[], depth = 0): void {
  if (typeof data === 'number') {
    out.push(data);
    return;
  }
  if (shape.length <= depth) shape.push(data.length);
  else if (shape[depth] !== data.length) throw new ShapeError(`tensor: ragged nested array (length ${data.length} at depth ${depth}, expected ${shape[depth]})`);
  for (const v of data) flatten(v, shape, out, depth + 1);
}

/**
 * A tensor from values: a flat array or typed array with `shape`, or nested arrays.
 * `tensor([[1, 2], [3, 4]])`, `tensor(new Float32Array(6), [2, 3])`.
 */
export function tensor(data: Nested | ArrayLike<number>, shape?: readonly number[], opts: CreateOptions = {}): Tensor {
  let flat: ArrayLike<number>;
  let s: number[];
  if (typeof data === 'number') {
    flat = [data];
    s = shape ? [...shape] : [];
  } else if (Array.isArray(data) && !shape) {
    s = [];
    const out: number[] = [];
    flatten(data as Nested, s, out);
    flat = out;
  } else {
    flat = data as ArrayLike<number>;
    s = shape ? [...shape] : [flat.length];
  }
  checkShape('tensor', s);
  checkAlloc('tensor', s, opts.backend ?? getBackend());
  if (sizeOf(s) !== flat.length) throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${fmtShape(s)} (${sizeOf(s)} elements)`);
  const dtype = opts.dtype ?? 'float32';
  const backend = opts.backend ?? getBackend();
  if (dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isInteger(flat[i])) throw new ValueError(`tensor: int32 tensor given a non-integer value ${flat[i]} at index ${i}`);
    }
  }
  return wrap(s, dtype, backend, backend.fromData(flat, dtype));
}

export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  const backend = opts.backend ?? getBackend();
  checkAlloc('full', shape, backend);
  const dtype = opts.dtype ?? 'float32';
  return wrap(shape, dtype, backend, backend.fill(sizeOf(shape), value, dtype));
}

export const zeros = (shape: readonly number[], opts: CreateOptions = {}): Tensor => full(shape, 0, opts);
export const ones = (shape: readonly number[], opts: CreateOptions = {}): Tensor => full(shape, 1, opts);
export const zerosLike = (t: Tensor): Tensor => full(t.shape, 0, { dtype: t.dtype, backend: t.backend });
export const onesLike = (t: Tensor): Tensor => full(t.shape, 1, { dtype: t.dtype, backend: t.backend });
export const scalarLike = (t: Tensor, v: number): Tensor => full([], v, { backend: t.backend });

/** Uniform [lo, hi) values from a seed (or an Rng stream). */
export function rand(shape: readonly number[], seed: number | Rng, opts: CreateOptions & { lo?: number; hi?: number } = {}): Tensor {
  checkShape('rand', shape);
  checkAlloc('rand', shape, opts.backend ?? getBackend()); // before the host array of values
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  return tensor(rng.fillUniform(sizeOf(shape), opts.lo ?? 0, opts.hi ?? 1), shape, opts);
}

/** Normal(mean, std) values from a seed (or an Rng stream). */
export function randn(shape: readonly number[], seed: number | Rng, opts: CreateOptions & { mean?: number; std?: number } = {}): Tensor {
  checkShape('randn', shape);
  checkAlloc('randn', shape, opts.backend ?? getBackend());
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  return tensor(rng.fillNormal(sizeOf(shape), opts.mean ?? 0, opts.std ?? 1), shape, opts);
}

/** start, start + step, … below stop. */
export function arange(start: number, stop?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new ValueError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (!Number.isFinite(n) || n === 0) throw new ShapeError(`arange: [${start}, ${stop}) with step ${step} holds ${n} values; robustlens has no empty tensors`);
  checkAlloc('arange', [n], opts.backend ?? getBackend());
  return tensor(Array.from({ length: n }, (_, i) => start + i * step), [n], opts);
}

/** One-hot float32 rows for integer labels in [0, classes). */
export function oneHot(labels: ArrayLike<number>, classes: number, opts: CreateOptions = {}): Tensor {
  const out = new Float64Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new ValueError(`oneHot: label ${y} at index ${i} is outside [0, ${classes})`);
    out[i * classes + y] = 1;
  }
  return tensor(out, [labels.length, classes], opts);
}
