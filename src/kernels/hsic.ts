import { padTo4 } from '../types.js';
import { LimitError } from '../errors.js';
import { MAX_GROUPS, checkGrid, grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

const WG = 64;
const GRAM_WG = 8; // gram_sym: 8×8 lanes, each a 4×4 tile: 32×32 blocks
const BLOCK = 4 * GRAM_WG;
const ROW_CHUNK = 64; // rows per partial column sum (first level of the tree)
const DOT_CHUNK = 1024; // elements per partial inner product

/** The fields of the Hs uniform (shaders/include/hsic_io.wgsl). */
interface Hs {
  n: number; p: number; ld_in: number; ld_out: number; chunk: number; chunks: number;
  zero_diag: number; pairs: number; rb: number; scale: number; gscale: number;
}

/** One uniform serves every HSIC kernel; each reads only some fields: the others are 0 (scales 1). */
const hs = (f: Partial<Hs>): Hs => ({ n: 0, p: 0, ld_in: 0, ld_out: 0, chunk: 0, chunks: 0, zero_diag: 0, pairs: 0, rb: 0, scale: 1, gscale: 1, ...f });

function checkIndex(op: string, elements: number): void {
  if (elements > 0xffffffff) throw new LimitError(`${op}: ${elements} elements overflow 32-bit indices; use fewer examples per batch`);
}

/**
 * Column sums of src [n, p] (row stride ld) divided by `scale`, via chunked partials: a p-vector.
 * With `minus` (a p-vector), the sums of the residuals src − minus instead.
 */
function columnSums(rt: GpuRuntime, src: GPUBuffer, n: number, p: number, ld: number, scale: number, zeroDiag: boolean, minus?: GPUBuffer, fused = false): GPUBuffer {
  const chunks = Math.ceil(n / ROW_CHUNK);
  if (fused && !minus) {
    const out = rt.createStorage(p * 4, 'hsic.col_sums_fused');
    rt.dispatch({
      shader: 'hsic', entry: 'col_sums_fused', overrides: { WG },
      uniforms: hs({ n, p, ld_in: ld, chunk: ROW_CHUNK, chunks, zero_diag: zeroDiag ? 1 : 0, scale }), buffers: { src, dst: out }, workgroups: grid1d(p, WG),
    });
    return out;
  }
  const part = rt.createStorage(chunks * p * 4, 'hsic.col_partial');
  rt.dispatch({
    shader: 'hsic', entry: minus ? 'col_partial_resid' : 'col_partial', overrides: { WG },
    uniforms: hs({ n, p, ld_in: ld, chunk: ROW_CHUNK, chunks, zero_diag: zeroDiag ? 1 : 0 }),
    buffers: minus ? { src, dst: part, aux: minus } : { src, dst: part }, workgroups: grid1d(p * chunks, WG),
  });
  const out = rt.createStorage(p * 4, 'hsic.col_finish');
  rt.dispatch({
    shader: 'hsic', entry: 'col_finish', overrides: { WG },
    uniforms: hs({ p, chunks, scale }), buffers: { src: part, dst: out }, workgroups: grid1d(p, WG),
  });
  rt.releaseStorage(part);
  return out;
}

/** The grid of the row-block kernels: lanes along `cols` (x), one block of ROW_CHUNK rows per (y, z) cell. */
function rowBlocks(op: string, rows: number, cols: number): [number, number, number] {
  const blocks = Math.ceil(rows / ROW_CHUNK);
  const g: [number, number, number] = [Math.ceil(cols / WG), Math.min(blocks, MAX_GROUPS), Math.ceil(blocks / MAX_GROUPS)];
  checkGrid(op, ...g);
  return g;
}

/**
 * 'fused': center_columns_fused, one dispatch (one lane per column loops over all n rows three
 * times); 'chunked': the five dispatches below, whose partial sums spread a long column over lanes.
 * Both give the same bits. 'auto': fused up to FUSED_CENTER_ROWS rows (a minibatch).
 */
export type CenterVariant = 'auto' | 'chunked' | 'fused' | 'fused4';
const FUSED_CENTER_ROWS = 1024;

/**
 * x − column means, padded to ld columns of zeros, in two passes: the second subtracts the mean of
 * the residuals, which removes the rounding error of the first mean (and makes constant columns
 * exactly 0). The residuals are summed as they are formed (col_partial_resid), so only the result is
 * written: the same values as writing the first pass out and centring it again.
 */
export function centerColumns(rt: GpuRuntime, x: GPUBuffer, n: number, p: number, variant: CenterVariant = 'auto'): GPUBuffer {
  const ld = padTo4(p);
  checkIndex('centerColumns', n * ld);
  if (variant === 'fused4' || (variant === 'auto' && n <= FUSED_CENTER_ROWS && p % 4 === 0)) {
    const out = rt.createStorage(n * ld * 4, 'hsic.center_columns_fused4');
    rt.dispatch({
      shader: 'hsic', entry: 'center_columns_fused4', overrides: { WG },
      uniforms: hs({ n, p, chunk: ROW_CHUNK, chunks: Math.ceil(n / ROW_CHUNK) }), buffers: { x4: x, dst: out }, workgroups: grid1d(p / 4, WG),
    });
    return out;
  }
  if (variant === 'fused' || (variant === 'auto' && n <= FUSED_CENTER_ROWS)) {
    const out = rt.createStorage(n * ld * 4, 'hsic.center_columns_fused');
    rt.dispatch({
      shader: 'hsic', entry: 'center_columns_fused', overrides: { WG },
      uniforms: hs({ n, p, ld_in: p, ld_out: ld, chunk: ROW_CHUNK, chunks: Math.ceil(n / ROW_CHUNK) }), buffers: { src: x, dst: out }, workgroups: grid1d(ld, WG),
    });
    return out;
  }
  const mean = columnSums(rt, x, n, p, p, n, false);
  const mean2 = columnSums(rt, x, n, p, p, n, false, mean);
  const out = rt.createStorage(n * ld * 4, 'hsic.center_features');
  rt.dispatch({
    shader: 'hsic', entry: 'center_features', overrides: { WG },
    uniforms: hs({ n, p, ld_in: p, ld_out: ld, chunk: ROW_CHUNK }), buffers: { src: x, dst: out, aux: mean, mean2 }, workgroups: rowBlocks('centerColumns', n, ld),
  });
  rt.releaseStorage(mean);
  rt.releaseStorage(mean2);
  return out;
}

/**
 * Whether gram_sym_sg may run here: the device has 'subgroups' and sg_probe found the lane layout it
 * assumes. Probed once per runtime, asynchronously, from the first gram() call; until the answer is in,
 * gram() uses gram_sym (both are exactly symmetric and tested against the oracle).
 */
const subgroupGram = new WeakMap<GpuRuntime, boolean | Promise<boolean>>();

export function probeSubgroupGram(rt: GpuRuntime): Promise<boolean> {
  const known = subgroupGram.get(rt);
  if (known !== undefined) return Promise.resolve(known);
  if (!rt.device.features.has('subgroups')) {
    subgroupGram.set(rt, false);
    return Promise.resolve(false);
  }
  const groups = 4;
  const flags = rt.createFilled(new Uint32Array(groups).fill(1), 'hsic.sg_probe');
  rt.dispatch({ shader: 'gram_sg', entry: 'sg_probe', overrides: { WG_X: GRAM_WG, WG_Y: GRAM_WG }, buffers: { ok: flags }, workgroups: [groups] });
  const p = rt
    .read(flags, groups * 4, 'hsic.sg_probe')
    .then((b) => new Uint32Array(b).every((v) => v === 1))
    .catch(() => false)
    .then((ok) => {
      rt.releaseStorage(flags);
      subgroupGram.set(rt, ok);
      return ok;
    });
  subgroupGram.set(rt, p);
  return p;
}

/**
 * 'wide': gram_sym_wide (gram_sg.wgsl), the register tile of the subgroup matmul, for devices with
 * subgroups of at least 8 lanes; 'subgroup': gram_sym_sg (after its lane-layout probe); 'plain':
 * gram_sym, everywhere. 'auto' takes the first that this device can run.
 */
export type GramVariant = 'auto' | 'plain' | 'subgroup' | 'wide';

/**
 * gram_sym_wide's tile: 8·RA rows × 32 columns (WG lanes · 4·NV). Measured by driver CPU time
 * on lavapipe at n = 256, p = 12544 / 3136 / 1568 against RA 1–4, NV 1–2, WG 8–16: RA = 2 was the
 * fastest, 1.2–2× gram_sym_sg. Since the FMAs run accumulator-major (gram_sg.wgsl), RA = 3 (24 rows)
 * is faster from n = 256 (bench/gram-ab.ts, interleaved, paired ratios to RA = 2: 0.86 at n = 256 with
 * the 8 layer-CKA p, 0.83 at n = 1024, 0.99 at n = 192, 1.24 at n = 100, where its fewer, taller
 * blocks leave a core idle): RA = 3 from 256 rows, RA = 2 below.
 */
export const wideTile = (n: number) => ({ RA: n >= 256 ? 3 : 2, NV: 1, WG: 8 }) as const;

export const canUseWideGram = (rt: GpuRuntime): boolean => rt.device.features.has('subgroups') && rt.subgroupMinSize >= 8;

export function gram(rt: GpuRuntime, x: GPUBuffer, n: number, ld: number, variant: GramVariant = 'auto'): GPUBuffer {
  checkIndex('gram', n * n);
  checkIndex('gram', n * ld);
  const wide = variant === 'wide' || (variant === 'auto' && canUseWideGram(rt));
  if (variant === 'wide' && !canUseWideGram(rt)) {
    throw new LimitError(`gram: the wide Gram kernel needs the 'subgroups' feature with subgroups of at least 8 lanes (this device: min ${rt.subgroupMinSize}); use the plain kernel`);
  }
  const dst = rt.createStorage(n * n * 4, 'hsic.gram_sym');
  if (wide) {
    const tile = wideTile(n);
    const rows = 8 * tile.RA;
    const cols = tile.WG * 4 * tile.NV;
    const grid: [number, number, number] = [Math.ceil(n / cols), Math.ceil(n / rows), 1];
    checkGrid('gram', ...grid);
    rt.dispatch({ shader: 'gram_sg', entry: 'gram_sym_wide', overrides: tile, uniforms: hs({ n, ld_in: ld }), buffers: { x4: x, dst }, workgroups: grid });
    return dst;
  }
  if (!subgroupGram.has(rt)) void probeSubgroupGram(rt);
  const sg = variant === 'subgroup' || (variant === 'auto' && subgroupGram.get(rt) === true);
  if (variant === 'subgroup' && subgroupGram.get(rt) !== true) {
    throw new LimitError('gram: the subgroup Gram kernel is not available on this device (no subgroups, or an unexpected lane layout); use the plain kernel');
  }
  const nb = Math.ceil(n / BLOCK);
  const pairs = (nb * (nb + 1)) / 2;
  const gx = Math.min(pairs, 65535);
  rt.dispatch({
    ...(sg ? { shader: 'gram_sg' as const, entry: 'gram_sym_sg' as const } : { shader: 'hsic' as const, entry: 'gram_sym' as const }),
    overrides: { WG_X: GRAM_WG, WG_Y: GRAM_WG },
    uniforms: hs({ n, ld_in: ld, pairs }), buffers: { x4: x, dst }, workgroups: [gx, Math.ceil(pairs / gx)],
  });
  return dst;
}

export function sqDistFromGram(rt: GpuRuntime, k: GPUBuffer, n: number): GPUBuffer {
  const out = rt.createStorage(n * n * 4, 'hsic.sqdist');
  rt.dispatch({ shader: 'hsic', entry: 'sqdist', overrides: { WG }, uniforms: hs({ n }), buffers: { src: k, dst: out }, workgroups: grid1d(n * n, WG) });
  return out;
}

/** exp(−D / (2 t² m)) with m read from the one-element buffer `median` (0 where m ≤ 0). */
export function rbfFromSqDist(rt: GpuRuntime, d: GPUBuffer, n: number, median: GPUBuffer, threshold: number): GPUBuffer {
  const out = rt.createStorage(n * n * 4, 'hsic.rbf');
  const scale = 1 / (2 * threshold * threshold);
  rt.dispatch({ shader: 'hsic', entry: 'rbf', overrides: { WG }, uniforms: hs({ n, scale }), buffers: { src: d, dst: out, aux: median }, workgroups: grid1d(n * n, WG) });
  return out;
}

/** K − (r − g)1ᵀ − 1(r − g)ᵀ with r = column sums / colScale and g = Σr / gscale. */
function centerGram(rt: GpuRuntime, k: GPUBuffer, n: number, zeroDiag: boolean, colScale: number, gscale: number, variant: CenterVariant): GPUBuffer {
  const fused = variant === 'fused' || (variant === 'auto' && n <= FUSED_CENTER_ROWS);
  const r = columnSums(rt, k, n, n, n, colScale, zeroDiag, undefined, fused);
  const tot = rt.createStorage(4, 'hsic.total');
  rt.dispatch({ shader: 'hsic', entry: 'total', uniforms: hs({ p: n }), buffers: { src: r, dst: tot }, workgroups: [1] });
  const out = rt.createStorage(n * n * 4, 'hsic.center_gram');
  rt.dispatch({
    shader: 'hsic', entry: 'center_gram', overrides: { WG },
    uniforms: hs({ n, zero_diag: zeroDiag ? 1 : 0, gscale, chunk: ROW_CHUNK }), buffers: { src: k, dst: out, aux: r, tot }, workgroups: rowBlocks('centerGram', n, n),
  });
  rt.releaseStorage(r);
  rt.releaseStorage(tot);
  return out;
}

/** The column sums in one dispatch ('fused', col_sums_fused) or two ('chunked'); the same bits. */
export const uCenter = (rt: GpuRuntime, k: GPUBuffer, n: number, variant: CenterVariant = 'auto'): GPUBuffer => centerGram(rt, k, n, true, n - 2, 2 * (n - 1), variant);
export const doubleCenter = (rt: GpuRuntime, k: GPUBuffer, n: number, variant: CenterVariant = 'auto'): GPUBuffer => centerGram(rt, k, n, false, n, 2 * n, variant);

export function dotPartials(rt: GpuRuntime, a: GPUBuffer, ra: number, b: GPUBuffer, rb: number, len: number): { partials: GPUBuffer; chunks: number } {
  checkIndex('dotPartials', Math.max(ra, rb) * len);
  const chunks = Math.ceil(len / DOT_CHUNK);
  const pairs = ra * rb;
  const out = rt.createStorage(pairs * chunks * 4, 'hsic.dot_partials');
  rt.dispatch({
    shader: 'hsic', entry: 'dot_partials', overrides: { WG },
    uniforms: hs({ p: len, chunk: DOT_CHUNK, chunks, pairs, rb }), buffers: { src: a, dst: out, aux: b }, workgroups: grid1d(pairs * chunks, WG),
  });
  return { partials: out, chunks };
}

export const hsicKernels = (rt: GpuRuntime) =>
  bindRuntime(rt, { centerColumns, gram, sqDistFromGram, rbfFromSqDist, uCenter, doubleCenter, dotPartials });
