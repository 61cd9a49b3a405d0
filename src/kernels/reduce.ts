import { type ReduceOp, sizeOf, type View } from '../types.js';
import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { coalesce } from './coalesce.js';
import { bindRuntime } from './slice.js';

const WG = 64;
const OP_CODE: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };

/** The Reduce uniform: `kept` indexes the outputs, `red` the reduced elements of each. */
const uniforms = (nOut: number, nRed: number, chunks: number, chunkLen: number, kept: View, red: View) => ({
  n_out: nOut, n_red: nRed, chunks, chunk_len: chunkLen, rank_out: kept.shape.length, rank_red: red.shape.length, offset: kept.offset,
  shape_out: kept.shape, stride_out: kept.strides, shape_red: red.shape, stride_red: red.strides,
});

/**
 * Reduce `red` for each element of `kept`. Few outputs over long axes would leave most lanes idle
 * and sum serially, so such reductions run in two passes: chunks of about √n, then the chunk partials.
 */
export function reduce(rt: GpuRuntime, op: ReduceOp, x: GPUBuffer, kept0: View, red0: View): GPUBuffer {
  const kept = coalesceView(kept0);
  const red = coalesceView(red0);
  const nOut = sizeOf(kept.shape);
  const nRed = sizeOf(red.shape);
  if (vec4Rows(kept, red)) return reduceRowsVec4(rt, op, x, kept, red, nOut, nRed);
  const last = red.shape.length - 1;
  if (last >= 1 && red.strides[last] === 1 && red.shape[last]! >= 16) {
    // Several reduced axes ending in a contiguous one (a bias gradient: Σ over N, H, W): reduce the
    // contiguous rows first (the fast row kernels), then the remaining axes of the much smaller result.
    const rows = reduce(rt, op, x,
      { shape: [...kept.shape, ...red.shape.slice(0, last)], strides: [...kept.strides, ...red.strides.slice(0, last)], offset: kept.offset },
      { shape: [red.shape[last]!], strides: [1], offset: 0 });
    const rest = nRed / red.shape[last]!;
    const out = reduce(rt, op, rows, { shape: [nOut], strides: [rest], offset: 0 }, { shape: [rest], strides: [1], offset: 0 });
    rt.releaseStorage(rows);
    return out;
  }
  const chunks = nOut >= 4096 || nRed <= 1024 ? 1 : Math.min(4096, Math.ceil(Math.sqrt(nRed)));
  const chunkLen = Math.ceil(nRed / chunks);
  const out = rt.createStorage(nOut * chunks * 4, `reduce.${op}`);
  rt.dispatch({
    shader: 'reduce', entry: 'reduce_strided', overrides: { OP: OP_CODE[op], WG, DIRECT: reduceOptions.direct ? 1 : 0 },
    uniforms: uniforms(nOut, nRed, chunks, chunkLen, kept, red),
    buffers: { x, y: out }, workgroups: grid1d(nOut * chunks, WG),
  });
  if (chunks === 1) return out;
  const second = reduce(rt, op, out, { shape: [nOut], strides: [chunks], offset: 0 }, { shape: [chunks], strides: [1], offset: 0 });
  rt.releaseStorage(out);
  return second;
}

/** A view with size-1 axes dropped and contiguous neighbours merged (see coalesce.ts). */
function coalesceView(v: View): View {
  const c = coalesce(v.shape, [v.strides]);
  return { shape: c.shape, strides: c.strides[0]!, offset: v.offset };
}

/** Benchmarks compare the vec4 row kernel with the strided one by turning it off here. */
export const reduceOptions = { vec4Rows: true, direct: true };

/** One contiguous reduced axis, a multiple of 4 long, every row starting on a 16-byte boundary. */
function vec4Rows(kept: View, red: View): boolean {
  if (!reduceOptions.vec4Rows || red.shape.length !== 1 || red.strides[0] !== 1) return false;
  const n = red.shape[0]!;
  if (n % 4 !== 0 || n < 16) return false;
  return kept.offset % 4 === 0 && kept.strides.every((s, d) => s % 4 === 0 || kept.shape[d] === 1);
}

/** Invocations that should be busy at once on a long reduction (measured on lavapipe: 16 Ki lanes). */
const BUSY = 16384;

/** Rows per pass that keep lavapipe's lanes busy while each lane still walks one row nearly in order. */
const SPLIT_ROWS = 4096;

function reduceRowsVec4(rt: GpuRuntime, op: ReduceOp, x: GPUBuffer, kept: View, red: View, nOut: number, nRed: number): GPUBuffer {
  // Few long rows (a full sum, a sum over 256 rows of 16 Ki): split each contiguous row into S
  // sub-rows, reduce those (G ~ 4 lanes per sub-row, each walking 16-byte steps 64 bytes apart),
  // then the S partials of each row. Spreading a row over thousands of interleaved lanes instead
  // puts each lane's consecutive loads far apart, which measured ~1.6x slower on lavapipe.
  let split = 1;
  while (nOut * split * 2 <= SPLIT_ROWS && nRed % (4 * split * 2) === 0 && nRed / (split * 2) >= 1024) split *= 2;
  const rowsContiguous = kept.shape.length === 0 || (kept.shape.length === 1 && kept.strides[0] === nRed);
  if (split > 1 && rowsContiguous) {
    const len = nRed / split;
    const parts = reduceRowsVec4(rt, op, x, { shape: [nOut * split], strides: [len], offset: kept.offset }, { shape: [len], strides: [1], offset: 0 }, nOut * split, len);
    const out = reduce(rt, op, parts, { shape: [nOut], strides: [split], offset: 0 }, { shape: [split], strides: [1], offset: 0 });
    rt.releaseStorage(parts);
    return out;
  }
  // G interleaved invocations per row: enough to fill BUSY lanes, but each reads >= 8 vec4s. A
  // small reduction (a loss's mean, a bias gradient's last stage: under 16 Ki values) takes one
  // pass: its few lanes finish in microseconds, and a second dispatch costs more than that.
  let chunks = 1;
  while (nOut * nRed >= BUSY && nOut * chunks * 2 <= BUSY && chunks * 2 * 32 <= nRed) chunks *= 2;
  const out = rt.createStorage(nOut * chunks * 4, `reduce.${op}`);
  rt.dispatch({
    shader: 'reduce', entry: 'reduce_rows_vec4', overrides: { OP: OP_CODE[op], WG, DIRECT: reduceOptions.direct ? 1 : 0 },
    uniforms: uniforms(nOut, nRed, chunks, Math.ceil(nRed / 4 / chunks), kept, red),
    buffers: { x4: x, y: out }, workgroups: grid1d(nOut * chunks, WG),
  });
  if (chunks === 1) return out;
  const second = reduce(rt, op, out, { shape: [nOut], strides: [chunks], offset: 0 }, { shape: [chunks], strides: [1], offset: 0 });
  rt.releaseStorage(out);
  return second;
}

export function argmax(rt: GpuRuntime, x: GPUBuffer, kept: View, red: View): GPUBuffer {
  const nOut = sizeOf(kept.shape);
  const nRed = sizeOf(red.shape);
  const out = rt.createStorage(nOut * 4, 'argmax');
  rt.dispatch({
    shader: 'reduce', entry: 'argmax_strided', overrides: { WG, DIRECT: reduceOptions.direct ? 1 : 0 },
    uniforms: uniforms(nOut, nRed, 1, nRed, kept, red),
    buffers: { x, yi: out }, workgroups: grid1d(nOut, WG),
  });
  return out;
}

export const reduceKernels = (rt: GpuRuntime) => bindRuntime(rt, { reduce, argmax });
