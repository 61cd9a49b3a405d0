import { contiguousStrides, sizeOf, type View } from '../types.js';
import { record, type Vjp } from '../autograd/tape.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import { full } from './creation.js';
import { backendOf, checkAlloc, checkShape, normAxes, viewCopy, wrap } from './util.js';

// ---- reshape (no copy) -----------------------------------------------------------------------

const reshapeVjp: Vjp = (g, [x]) => [reshape(g, x!.shape)];

/** Same values, new shape; one axis may be -1. Shares storage with `x` (no copy). */
export function reshape(x: Tensor, shape: readonly number[], track = true): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== free));
    if (rest === 0 || x.size % rest !== 0) throw new ShapeError(`reshape: cannot infer -1 in ${fmtShape(shape)} for ${x.size} elements ${fmtShape(x.shape)}`);
    s[free] = x.size / rest;
  }
  checkShape('reshape', s);
  if (sizeOf(s) !== x.size) throw new ShapeError(`reshape: ${fmtShape(x.shape)} has ${x.size} elements, ${fmtShape(s)} holds ${sizeOf(s)}`);
  const out = new Tensor(s, x.dtype, x.backend, null, x);
  if (track) record('reshape', reshapeVjp, [x], out, undefined);
  return out;
}

export const flatten = (x: Tensor, startAxis = 1): Tensor => reshape(x, [...x.shape.slice(0, startAxis), -1]);

export function expandDims(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const ax = axes === undefined ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : normAxes('squeeze', x.rank, axes);
  for (const a of ax) if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`);
  return reshape(x, x.shape.filter((_, i) => !ax.includes(i)));
}

// ---- views that copy -------------------------------------------------------------------------

const permuteVjp: Vjp<number[]> = (g, _x, _y, perm) => {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [permute(g, inv)];
};

/** Reorder axes: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => (a < 0 ? a + x.rank : a));
  if (p.length !== x.rank || new Set(p).size !== p.length || p.some((a) => a < 0 || a >= x.rank)) {
    throw new ShapeError(`permute: ${fmtShape(perm)} is not a permutation of the ${x.rank} axes of ${fmtShape(x.shape)}`);
  }
  const strides = contiguousStrides(x.shape);
  const out = viewCopy('permute', x, { shape: p.map((a) => x.shape[a]!), strides: p.map((a) => strides[a]!), offset: 0 });
  record('permute', permuteVjp, [x], out, p);
  return out;
}

/** Swap two axes (the last two by default). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const [i, j] = normAxes('transpose', x.rank, [a, b]);
  if (i === undefined || j === undefined) return permute(x, perm);
  const ai = a < 0 ? a + x.rank : a;
  const bi = b < 0 ? b + x.rank : b;
  [perm[ai], perm[bi]] = [perm[bi]!, perm[ai]!];
  return permute(x, perm);
}

interface SliceParams {
  readonly view: View;
}

const sliceVjp: Vjp<SliceParams> = (g, [x], _y, p) => {
  const z = full(x!.shape, 0, { backend: g.backend });
  z.backend.writeView(z.storage('slice backward'), p.view, g.storage('slice backward'));
  return [z];
};

/**
 * Take x[start_0:end_0:step_0, …] per axis (missing axes are taken whole). Negative indices count
 * from the end, as in NumPy; steps must be positive.
 */
export function slice(x: Tensor, starts: readonly number[], ends?: readonly (number | undefined)[], steps?: readonly number[]): Tensor {
  const strides = contiguousStrides(x.shape);
  const shape: number[] = [];
  const vs: number[] = [];
  let offset = 0;
  for (let d = 0; d < x.rank; d++) {
    const n = x.shape[d]!;
    const st = steps?.[d] ?? 1;
    if (!Number.isInteger(st) || st <= 0) throw new ShapeError(`slice: step ${st} on axis ${d} must be a positive integer`);
    let s = starts[d] ?? 0;
    let e = ends?.[d] ?? n;
    if (s < 0) s += n;
    if (e < 0) e += n;
    s = Math.min(Math.max(s, 0), n);
    e = Math.min(Math.max(e, 0), n);
    const len = Math.ceil((e - s) / st);
    if (len <= 0) throw new ShapeError(`slice: axis ${d} of ${fmtShape(x.shape)} sliced [${starts[d]}:${ends?.[d]}] is empty`);
    shape.push(len);
    vs.push(strides[d]! * st);
    offset += s * strides[d]!;
  }
  const view: View = { shape, strides: vs, offset };
  const out = viewCopy('slice', x, view);
  record('slice', sliceVjp, [x], out, { view });
  return out;
}

const concatVjp: Vjp<{ axis: number }> = (g, xs, _y, { axis }) => {
  let at = 0;
  return xs.map((x) => {
    const starts = x.shape.map((_, d) => (d === axis ? at : 0));
    const ends = x.shape.map((n, d) => (d === axis ? at + n : n));
    at += x.shape[axis]!;
    return slice(g, starts, ends);
  });
};

/** Join tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('concat: needs at least one tensor');
  const be = backendOf('concat', ...xs);
  const first = xs[0]!;
  const a = normAxes('concat', first.rank, axis)[0]!;
  for (const x of xs) {
    if (x.rank !== first.rank || x.shape.some((d, i) => i !== a && d !== first.shape[i]) || x.dtype !== first.dtype) {
      throw new ShapeError(`concat: shapes ${xs.map((t) => fmtShape(t.shape)).join(', ')} differ off axis ${a} (or dtypes differ)`);
    }
  }
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
  checkAlloc('concat', shape, be);
  const strides = contiguousStrides(shape);
  const storage = be.fill(sizeOf(shape), 0, first.dtype);
  let at = 0;
  for (const x of xs) {
    be.writeView(storage, { shape: x.shape, strides, offset: at * strides[a]! }, x.storage('concat'));
    at += x.shape[a]!;
  }
  const out = wrap(shape, first.dtype, be, storage);
  record('concat', concatVjp, xs, out, { axis: a });
  return out;
}

/** Stack same-shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  const parts = xs.map((x) => expandDims(x, axis));
  const out = concat(parts, axis);
  return out;
}

const padVjp: Vjp<{ pads: [number, number][] }> = (g, [x], _y, { pads }) => [
  slice(g, pads.map((p) => p[0]), pads.map((p, d) => p[0] + x!.shape[d]!)),
];

/** Pad each axis with [before, after] copies of `value` (missing axes are not padded). */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  const p = x.shape.map((_, d) => [pads[d]?.[0] ?? 0, pads[d]?.[1] ?? 0] as [number, number]);
  if (p.some(([b, a]) => b < 0 || a < 0 || !Number.isInteger(b) || !Number.isInteger(a))) throw new ShapeError(`pad: pads must be non-negative integers, got ${JSON.stringify(pads)}`);
  const shape = x.shape.map((d, i) => d + p[i]![0] + p[i]![1]);
  const strides = contiguousStrides(shape);
  const be = x.backend;
  checkAlloc('pad', shape, be);
  const storage = be.fill(sizeOf(shape), value, x.dtype);
  be.writeView(storage, { shape: x.shape, strides, offset: p.reduce((o, [b], d) => o + b * strides[d]!, 0) }, x.storage('pad'));
  const out = wrap(shape, x.dtype, be, storage);
  record('pad', padVjp, [x], out, { pads: p });
  return out;
}

interface GatherParams {
  readonly outer: number;
  readonly axisLen: number;
  readonly inner: number;
  readonly count: number;
}

const gatherVjp: Vjp<GatherParams> = (g, [x, idx], _y, p) => {
  const be = g.backend;
  const s = be.indexAdd(g.storage('gather backward'), idx!.storage('gather backward'), p.outer, p.axisLen, p.inner, p.count);
  return [wrap(x!.shape, 'float32', be, s), null];
};

/** Select entries along `axis` by an int32 index vector: out.shape[axis] = indices.size. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const be = backendOf('gather', x, indices);
  if (indices.dtype !== 'int32' || indices.rank !== 1) throw new ShapeError(`gather: indices must be a 1-D int32 tensor, got ${indices.dtype} ${fmtShape(indices.shape)}`);
  const a = normAxes('gather', x.rank, axis)[0]!;
  const p: GatherParams = {
    outer: sizeOf(x.shape.slice(0, a)),
    axisLen: x.shape[a]!,
    inner: sizeOf(x.shape.slice(a + 1)),
    count: indices.size,
  };
  const shape = [...x.shape];
  shape[a] = indices.size;
  const out = wrap(shape, x.dtype, be, be.gather(x.storage('gather'), indices.storage('gather'), p.outer, p.axisLen, p.inner, p.count));
  record('gather', gatherVjp, [x, indices], out, p);
  return out;
}
