import { type BinaryOp, contiguousView, type UnaryOp, type UnaryParams } from '../types.js';
import { isTaping, record, type Vjp, type VjpTable } from '../autograd/tape.js';
import { Tensor } from '../tensor.js';
import { ValueError } from '../errors.js';
import { scalarLike } from './creation.js';
import { sumTo } from './broadcast.js';
import { reshape } from './layout.js';
import { backendOf, broadcastShapes, broadcastView, checkAlloc, requireFloat, sameShape, wrap } from './util.js';

export type Operand = Tensor | number;

// ---- unary -----------------------------------------------------------------------------------

function unaryOp(op: UnaryOp, x: Tensor, params: UnaryParams = {}): Tensor {
  requireFloat(op, x);
  const b = x.backend;
  const out = wrap(x.shape, 'float32', b, b.unary(op, x.storage(op), x.size, params));
  record(op, unaryVjp[op], [x], out, params);
  return out;
}

const unaryVjp = {
  neg: (g) => [neg(g)], // d(-x) = -dx
  abs: (g, [x]) => [mul(g, sign(x!))], // d|x| = sign(x) dx
  sign: () => [null], // piecewise constant
  exp: (g, _, y) => [mul(g, y)], // d e^x = e^x dx
  log: (g, [x]) => [div(g, x!)], // d log x = dx / x
  sqrt: (g, _, y) => [div(affine(g, 0.5), y)], // d √x = dx / (2√x)
  relu: (g, [x]) => [binaryOp('reluGrad', g, x!)], // g · step(x) in one pass; subgradient 0 at x = 0
  sigmoid: (g, _, y) => [mul(g, mul(y, affine(y, -1, 1)))], // σ' = σ(1 − σ)
  tanh: (g, _, y) => [mul(g, affine(square(y), -1, 1))], // tanh' = 1 − tanh²
  square: (g, [x]) => [mul(g, affine(x!, 2))], // d x² = 2x dx
  reciprocal: (g, _, y) => [neg(mul(g, square(y)))], // d(1/x) = −dx / x²
  step: () => [null],
  affine: (g, _x, _y, p: UnaryParams) => [affine(g, p.alpha ?? 1)], // d(αx + β) = α dx
  // Gradient passes where lo <= x <= hi (both ends included, as in PyTorch's clamp).
  clamp: (g, [x], _y, p: UnaryParams) => [mul(g, mul(ge(x!, p.alpha ?? -Infinity), le(x!, p.beta ?? Infinity)))],
  rsqrt: (g, _, y) => [mul(g, affine(mul(y, square(y)), -0.5))], // d x^(-1/2) = −½ x^(-3/2) dx
} satisfies VjpTable<UnaryOp>;

export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
export const sign = (x: Tensor): Tensor => unaryOp('sign', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x);
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x);
/** 1 where x > 0, else 0 (no gradient). */
export const step = (x: Tensor): Tensor => unaryOp('step', x);
/** alpha·x + beta in one kernel. */
export const affine = (x: Tensor, alpha: number, beta = 0): Tensor => unaryOp('affine', x, { alpha, beta });
/** Clip to [lo, hi]. */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new ValueError(`clamp: bounds [${lo}, ${hi}] must not be NaN`);
  return unaryOp('clamp', x, { alpha: lo, beta: hi });
}

// ---- binary ----------------------------------------------------------------------------------

function binaryOp(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  requireFloat(op, a, b);
  const be = backendOf(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  checkAlloc(op, shape, be);
  const av = sameShape(a.shape, shape) ? contiguousView(shape) : broadcastView(a.shape, shape);
  const bv = sameShape(b.shape, shape) ? contiguousView(shape) : broadcastView(b.shape, shape);
  const out = wrap(shape, 'float32', be, be.binary(op, a.storage(op), av, b.storage(op), bv, shape));
  record(op, binaryVjp[op], [a, b], out, undefined);
  return out;
}

/** A number operand becomes a scalar tensor; it joins the current tidy scope like any temporary. */
function withScalar(op: BinaryOp, a: Operand, b: Operand): Tensor {
  if (a instanceof Tensor && b instanceof Tensor) return binaryOp(op, a, b);
  if (a instanceof Tensor) {
    const t = scalarLike(a, b as number);
    const r = binaryOp(op, a, t);
    if (!isTaping()) t.dispose(); // else the tape's scope owns it: the rule may need it
    return r;
  }
  if (b instanceof Tensor) {
    const t = scalarLike(b, a as number);
    const r = binaryOp(op, t, b);
    if (!isTaping()) t.dispose(); // else the tape's scope owns it: the rule may need it
    return r;
  }
  throw new TypeError(`${op}: at least one operand must be a Tensor`);
}

const none: Vjp = () => [null, null];
// Each side's gradient only where that input leads to something differentiated (needs): during an
// attack the layers' bias adds and weight products need no parameter gradient, and the reduction
// that would sum a broadcast bias's gradient is skipped.
const binaryVjp = {
  add: (g, [a, b], _y, _p, n) => [n[0] ? sumTo(g, a!.shape) : null, n[1] ? sumTo(g, b!.shape) : null],
  sub: (g, [a, b], _y, _p, n) => [n[0] ? sumTo(g, a!.shape) : null, n[1] ? sumTo(neg(g), b!.shape) : null],
  mul: (g, [a, b], _y, _p, n) => [n[0] ? sumTo(mul(g, b!), a!.shape) : null, n[1] ? sumTo(mul(g, a!), b!.shape) : null],
  // d(a/b) = da/b − a·db/b²
  div: (g, [a, b], _y, _p, n) => [n[0] ? sumTo(div(g, b!), a!.shape) : null, n[1] ? sumTo(neg(div(mul(g, a!), square(b!))), b!.shape) : null],
  // d(a^b) = b·a^(b−1) da + a^b·log(a) db
  pow: (g, [a, b], y, _p, n) => [
    n[0] ? sumTo(mul(g, mul(b!, pow(a!, sub(b!, 1)))), a!.shape) : null,
    n[1] ? sumTo(mul(g, mul(y, log(a!))), b!.shape) : null,
  ],
  // Ties send the gradient to a, as torch.maximum does not split it; keeps max(a, a) exact.
  max: (g, [a, b], _y, _p, n) => [n[0] ? sumTo(mul(g, ge(a!, b!)), a!.shape) : null, n[1] ? sumTo(mul(g, lt(a!, b!)), b!.shape) : null],
  min: (g, [a, b], _y, _p, n) => [n[0] ? sumTo(mul(g, le(a!, b!)), a!.shape) : null, n[1] ? sumTo(mul(g, gt(a!, b!)), b!.shape) : null],
  lt: none, le: none, gt: none, ge: none, eq: none, ne: none,
  reluGrad: (g, [, x]) => [mul(g, step(x!)), null],
} satisfies VjpTable<BinaryOp>;

export const add = (a: Operand, b: Operand): Tensor =>
  typeof b === 'number' && a instanceof Tensor ? affine(a, 1, b) : typeof a === 'number' && b instanceof Tensor ? affine(b, 1, a) : withScalar('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor =>
  typeof b === 'number' && a instanceof Tensor ? affine(a, 1, -b) : typeof a === 'number' && b instanceof Tensor ? affine(b, -1, a) : withScalar('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor =>
  typeof b === 'number' && a instanceof Tensor ? affine(a, b) : typeof a === 'number' && b instanceof Tensor ? affine(b, a) : withScalar('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor =>
  typeof b === 'number' && a instanceof Tensor ? affine(a, 1 / b) : withScalar('div', a, b);
export const pow = (a: Operand, b: Operand): Tensor => withScalar('pow', a, b);
export const maximum = (a: Operand, b: Operand): Tensor => withScalar('max', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => withScalar('min', a, b);
export const lt = (a: Operand, b: Operand): Tensor => withScalar('lt', a, b);
export const le = (a: Operand, b: Operand): Tensor => withScalar('le', a, b);
export const gt = (a: Operand, b: Operand): Tensor => withScalar('gt', a, b);
export const ge = (a: Operand, b: Operand): Tensor => withScalar('ge', a, b);
export const eq = (a: Operand, b: Operand): Tensor => withScalar('eq', a, b);
export const ne = (a: Operand, b: Operand): Tensor => withScalar('ne', a, b);

// ---- select ----------------------------------------------------------------------------------

const whereVjp: Vjp = (g, [c, a, b]) => {
  const z = scalarLike(g, 0);
  return [null, sumTo(where(c!, g, z), a!.shape), sumTo(where(c!, z, g), b!.shape)];
};

/** cond != 0 ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  requireFloat('where', cond, a, b);
  const be = backendOf('where', cond, a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  checkAlloc('where', shape, be);
  const out = wrap(
    shape, 'float32', be,
    be.where(cond.storage('where'), broadcastView(cond.shape, shape), a.storage('where'), broadcastView(a.shape, shape), b.storage('where'), broadcastView(b.shape, shape), shape),
  );
  record('where', whereVjp, [cond, a, b], out, undefined);
  return out;
}

/** The same values with no gradient history (shares storage, no copy). */
export function detach(x: Tensor): Tensor {
  return reshape(x, x.shape, false);
}
