/**
 * Plain types and helpers shared by every layer: dtypes, op names, strided views, the geometries of
 * the kernel families, optimizer hyper-parameters. This module imports nothing of ours (the bottom
 * layer of ../shared/design.md), so kernels, backends, ops and analysis all depend on it alone.
 */

export type DType = 'float32' | 'int32';

export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'relu' | 'sigmoid' | 'tanh'
  | 'square' | 'reciprocal' | 'step' | 'affine' | 'clamp' | 'rsqrt';

/** `reluGrad` is g · step(x), the VJP of relu in one pass (internal: relu's backward rule uses it). */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min' | 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne' | 'reluGrad';

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

/** A 2-D convolution: x [N, C, H, W] * w [O, C, KH, KW] -> y [N, O, OH, OW]. */
export interface ConvGeom {
  readonly N: number; readonly C: number; readonly H: number; readonly W: number;
  readonly O: number; readonly KH: number; readonly KW: number;
  readonly SH: number; readonly SW: number;
  readonly PH: number; readonly PW: number;
  readonly DH: number; readonly DW: number;
  readonly OH: number; readonly OW: number;
}

/** A 2-D pooling window over x [N·C planes of H × W] -> y [N·C planes of OH × OW]. */
export interface PoolGeom {
  /** N · C: pooling treats every channel of every example as its own plane. */
  readonly planes: number;
  readonly H: number; readonly W: number;
  readonly KH: number; readonly KW: number;
  readonly SH: number; readonly SW: number;
  readonly PH: number; readonly PW: number;
  readonly OH: number; readonly OW: number;
}

/** Batch-norm geometry: x is NCHW, statistics per channel over N·H·W values. */
export interface NormGeom {
  readonly N: number;
  readonly C: number;
  /** H · W. */
  readonly HW: number;
}

export interface SgdHyper {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  /** The first step with this momentum buffer (it is initialised to d, not blended). */
  readonly first: boolean;
}

export interface AdamHyper {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** AdamW: decoupled weight decay. */
  readonly decoupled: boolean;
  /** Step number, from 1. */
  readonly t: number;
}

/** The per-row logit statistics of the logits kernel, in column order (methods.md §4). */
export const LOGIT_STATS = ['maxLogit', 'gap', 'maxMinusMean', 'confidence', 'entropy', 'margin', 'argmax'] as const;
export type LogitStatName = (typeof LOGIT_STATS)[number];

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

/** Row stride of centred features: the next multiple of 4. */
export const padTo4 = (p: number): number => Math.ceil(p / 4) * 4;
