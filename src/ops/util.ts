import type { Backend } from '../backend/types.js';
import { contiguousStrides, type DType, type View } from '../types.js';
import { DTypeError, LimitError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { engine } from '../engine.js';
import { Tensor } from '../tensor.js';

/** Wrap freshly computed storage as a tensor. */
export function wrap(shape: readonly number[], dtype: DType, backend: Backend<any>, storage: unknown): Tensor {
  return new Tensor([...shape], dtype, backend, storage);
}

/** A copy of the elements of `x` that view `v` selects, as a new contiguous tensor (no gradient recorded). */
export function viewCopy(op: string, x: Tensor, v: View): Tensor {
  const be = x.backend;
  checkAlloc(op, v.shape, be);
  return wrap(v.shape, x.dtype, be, be.readView(x.storage(op), v));
}

/** The backend shared by all inputs of an op; mixing backends is an error. */
export function backendOf(op: string, ...ts: Tensor[]): Backend<any> {
  const b = ts[0]!.backend;
  for (const t of ts) {
    if (t.backend !== b) {
      throw new ValueError(`${op}: inputs live on different backends (${ts.map((x) => x.backend.kind).join(', ')}); move them with toBackend() first`);
    }
  }
  return b;
}

export function requireFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32') throw new DTypeError(`${op}: expects float32 tensors, got ${t.dtype} ${fmtShape(t.shape)}; convert with cast(t, 'float32')`);
  }
}

/** NumPy broadcasting of two shapes, or a ShapeError naming the op and the clashing axis. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (axis ${i} of the result: ${da} vs ${db}). ` +
          `Each axis must match or be 1; reshape one operand.`,
      );
    }
    out[i] = Math.max(da, db);
  }
  return out;
}

/** The view of a contiguous tensor of `shape` broadcast to `out` (stride 0 on expanded axes). */
export function broadcastView(shape: readonly number[], out: readonly number[]): View {
  const strides = contiguousStrides(shape);
  const pad = out.length - shape.length;
  const s = out.map((d, i) => (i < pad || shape[i - pad] === 1 ? 0 : strides[i - pad]!));
  return { shape: out, strides: s, offset: 0 };
}

/** Normalise axes (negative counts from the end); undefined means all axes. */
export function normAxes(op: string, rank: number, axes?: number | readonly number[]): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= rank) throw new ShapeError(`${op}: axis ${a} is out of range for a tensor of rank ${rank}`);
    return n;
  });
  if (new Set(out).size !== out.length) throw new ShapeError(`${op}: repeated axis in ${fmtShape(list)}`);
  return out.sort((x, y) => x - y);
}

export function checkShape(op: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: invalid shape ${fmtShape(shape)}: dimensions must be non-negative integers`);
  }
  if (shape.some((d) => d === 0)) {
    throw new ShapeError(`${op}: empty tensor of shape ${fmtShape(shape)}; robustlens has no zero-size tensors. Check the batch or slice that produced it.`);
  }
}

/** The CPU backend's cap: 2^31 float64 elements (16 GiB) is already more than a test machine holds. */
const CPU_MAX_ELEMENTS = 2 ** 31;

/**
 * Refuse an output of `shape` that the backend cannot hold, before any host or device memory is
 * allocated for it: a LimitError naming the op (a broadcast of [65537, 1] and [1, 65537] must not
 * first build a 16 GiB host array).
 */
export function checkAlloc(op: string, shape: readonly number[], backend: Backend<any>): void {
  const n = shape.reduce((a, d) => a * d, 1);
  if (backend.kind === 'webgpu' && engine.runtime) engine.runtime.checkStorageSize(n * 4, `${op} ${fmtShape(shape)}`);
  else if (n > CPU_MAX_ELEMENTS) throw new LimitError(`${op}: ${n} elements ${fmtShape(shape)} exceed the CPU backend's limit of 2^31; use a smaller shape`);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
