/**
 * The Backend contract. A backend stores flat arrays and runs primitive kernels on them; it knows
 * nothing of tensors, autograd or ownership (the op layer above it does). Two implementations:
 * `webgpu` (f32/i32 GPU buffers, the product) and `cpu` (Float64Array, the oracle for every test).
 *
 * Shapes arrive already checked: every method may assume valid, non-empty arguments.
 * Methods that return storage allocate it; `free` gives it back.
 */

export type DType = 'float32' | 'int32';

export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'relu' | 'sigmoid' | 'tanh'
  | 'square' | 'reciprocal' | 'step' | 'affine' | 'clamp' | 'rsqrt';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min' | 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne';

export type ReduceOp = 'sum' | 'max' | 'min';

/** A strided view of flat storage: element (i_0, …, i_k) lives at offset + Σ i_d·strides[d]. */
export interface View {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** A batch of matrices inside flat storage: element (b, i, j) at offset + b·sb + i·si + j·sj. */
export interface MatView {
  readonly offset: number;
  readonly sb: number;
  readonly si: number;
  readonly sj: number;
}

/** Parameters of unary ops that take them: affine (alpha·x + beta) and clamp [alpha, beta]. */
export interface UnaryParams {
  readonly alpha?: number;
  readonly beta?: number;
}

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
  import('./norm.js').NormOps<S>;

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousView(shape: readonly number[]): View {
  return { shape, strides: contiguousStrides(shape), offset: 0 };
}
