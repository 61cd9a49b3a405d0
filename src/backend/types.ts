/**
 * The Backend contract. A backend stores flat arrays and runs primitive kernels on them; it knows
 * nothing of tensors, autograd or ownership (the op layer above it does). Two implementations:
 * `webgpu` (f32/i32 GPU buffers, the product) and `cpu` (Float64Array, the oracle for every test).
 *
 * Shapes arrive already checked: every method may assume valid, non-empty arguments.
 * Methods that return storage allocate it; `free` gives it back.
 */

import type { BinaryOp, DType, MatView, ReduceOp, UnaryOp, UnaryParams, View } from '../types.js';

export interface CoreOps<S> {
  readonly kind: 'cpu' | 'webgpu';
  /** A human-readable description: runtime, adapter, driver. */
  describe(): string;
  fromData(data: ArrayLike<number>, dtype: DType): S;
  fill(size: number, value: number, dtype: DType): S;
  read(s: S, size: number, dtype: DType): Promise<Float32Array | Float64Array | Int32Array>;
  free(s: S): void;

  unary(op: UnaryOp, x: S, size: number, params?: UnaryParams): S;
  /** out[i] = a[view_a(i)] ∘ b[view_b(i)] over `shape` (the views broadcast with stride 0). */
  binary(op: BinaryOp, a: S, av: View, b: S, bv: View, shape: readonly number[]): S;
  /** out[i] = cond[i] != 0 ? a[i] : b[i], all three viewed at `shape`. */
  where(cond: S, cv: View, a: S, av: View, b: S, bv: View, shape: readonly number[]): S;
  /**
   * Reduce over the `red` axes of a view. `kept` indexes the outputs (its size is the output size),
   * `red` the reduced elements per output; both strides address the same input storage.
   */
  reduce(op: ReduceOp, x: S, kept: View, red: View): S;
  /** Index (int32, row-major within `red`) of the first maximum for each output. */
  argmax(x: S, kept: View, red: View): S;
  /** C[b] = A[b]·B[b], A: m×k, B: k×n; C is contiguous batch×m×n. */
  matmul(a: S, av: MatView, b: S, bv: MatView, batch: number, m: number, k: number, n: number): S;
  /** A contiguous copy of a strided view. */
  readView(x: S, v: View): S;
  /** Write contiguous `src` into the view `v` of `dst` (in place). */
  writeView(dst: S, v: View, src: S): void;
  /** out[o, j, i] = x[o, idx[j], i] for x of shape [outer, axisLen, inner]; idx is int32 of length count. */
  gather(x: S, idx: S, outer: number, axisLen: number, inner: number, count: number): S;
  /** Adjoint of gather: out[o, a, i] = Σ_{j: idx[j] = a} g[o, j, i]. */
  indexAdd(g: S, idx: S, outer: number, axisLen: number, inner: number, count: number): S;
}

/** Every backend implements every family; add a family here and both backends must follow. */
export type Backend<S = unknown> = CoreOps<S> &
  import('./optim.js').OptimOps<S> &
  import('./conv.js').ConvOps<S> &
  import('./conv.js').PoolOps<S> &
  import('./logits.js').LogitOps<S> &
  import('./attack.js').AttackOps<S> &
  import('./hsic.js').HsicOps<S> &
  import('./select.js').SelectOps<S> &
  import('./norm.js').NormOps<S>;
