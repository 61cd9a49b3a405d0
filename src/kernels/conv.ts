import type { ConvGeom } from '../types.js';
import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { reduce } from './reduce.js';
import { bindRuntime } from './slice.js';
import { tunedVariant } from './tuning.js';

// Launchers of shaders/conv.wgsl and conv_subgroups.wgsl, chosen per shape:
//  - stride 1, dilation 1, kernel width 3 (and, for dx, padding <= k − 1; for dw, height 3): the
//    row kernels (8 pixels of a row per invocation), in their subgroup form where the device has
//    subgroups of >= 8 lanes; dx of a stride-1 conv is the row kernel on gy with flipped weights,
//    or, when dx has one channel (3x3), the strip kernels (conv_strips.wgsl: columns of rows);
//    dw walks columns of row segments (conv_cols.wgsl);
//  - anything else: the generic implicit-GEMM kernels (8 channels x 4 pixels per invocation; the
//    weight gradient split over pixel chunks and finished by the reduce kernel).
// A 1x1 conv takes the generic kernel: it loads 12 values per 32 FMAs, more reuse than the 4x4
// matmul kernel (8 per 16), so routing it through matmul would not pay on these adapters.
const WG = 64;
const CH = 8; // channels per invocation
const PX = 4; // pixels (or weight columns) per invocation
const DW_LANES = 512; // invocations the dw column kernel aims at (rows3Weight)

/** The Conv uniform of the generic kernels. */
const convUniforms = (g: ConvGeom, hasBias: boolean, splits = 1, chunk = 0) => ({
  N: g.N, C: g.C, H: g.H, W: g.W, O: g.O, OH: g.OH, OW: g.OW, KH: g.KH,
  KW: g.KW, SH: g.SH, SW: g.SW, PH: g.PH, PW: g.PW, DH: g.DH, DW: g.DW, has_bias: hasBias ? 1 : 0, splits, chunk,
});

/** A 1-D grid of `lanes` invocations folded into (x, y), with `z` channel blocks. */
function grid(lanes: number, z: number): [number, number, number] {
  const [x, y] = grid1d(lanes, WG);
  return [x, y, z];
}

/** Kernel choices that tests flip to cover every variant on one adapter. */
export const convVariants = {
  subgroups: true,
  vec4Stores: true,
  /** The strip kernels for 1-channel input gradients (false: the row kernel, as before them). */
  strips: true,
  /** The strip kernel for the forward of 1-input-channel 3x3 convs (false: the row kernels). */
  stripsFwd: true,
  /** Strip width (4..8) and rows per invocation; 0: the launcher's choice. */
  stripPx: 0,
  stripRows: 0,
  /** Target invocation count of the dw column kernel (chunk sizing); 0: the launcher's choice. */
  dwLanes: 0,
  /** Output channels per invocation of the dw column kernel (4 or 8); 0: the launcher's choice. */
  dwChannels: 0,
};

/**
 * The kernel of a stride-1, 3-wide convolution (forward, or dx as the same problem on gy): the row
 * kernels in their 8-channel and 4-channel subgroup forms or plain, or the generic implicit GEMM.
 * The built-in rule (measured on lavapipe) takes the widest row kernel the device allows; a tuning
 * table (autotune.ts, per adapter) may name another for a shape bucket, and tests and the autotuner
 * pin one here.
 */
export type ConvVariant = 'rows-sg8' | 'rows-sg4' | 'rows' | 'generic';
export const convOverride: { variant: ConvVariant | null } = { variant: null };

/** Whether this device can run `v` for `cout` output channels (the subgroup kernels need >= 8 lanes). */
export function convVariantRuns(rt: GpuRuntime, v: ConvVariant, cout: number): boolean {
  if (v === 'rows-sg8') return useSubgroups(rt);
  if (v === 'rows-sg4') return useSubgroups(rt) && cout >= 3;
  return true;
}

/** The variant for a row problem [N, Cin, Hin, Win] -> Cout; `op` keys the tuning table. */
function pickConv(rt: GpuRuntime, op: 'conv2d' | 'conv2dInput', dims: [number, number, number, number, number]): ConvVariant {
  const cout = dims[4];
  const forced = convOverride.variant ?? (tunedVariant(rt.adapter, op, dims) as ConvVariant | undefined);
  if (forced && convVariantRuns(rt, forced, cout)) return forced;
  return cout >= 5 && useSubgroups(rt) ? 'rows-sg8' : cout >= 3 && useSubgroups(rt) ? 'rows-sg4' : 'rows';
}

/**
 * The subgroup row kernel shares weights with subgroupBroadcast from lanes 0..7, so it needs the
 * 'subgroups' feature and subgroups of at least 8 lanes (lavapipe: 8; SwiftShader: 4).
 */
function useSubgroups(rt: GpuRuntime): boolean {
  const info = (rt.device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo;
  return convVariants.subgroups && rt.device.features.has('subgroups') && (info?.subgroupMinSize ?? 0) >= 8;
}

/** The row kernel's geometry: an input [N, Cin, Hin, Win] convolved (stride 1, 3 wide) into [N, Cout, OH, OW]. */
interface Rows {
  N: number; Cin: number; Hin: number; Win: number; Cout: number; OH: number; OW: number;
  KH: number; PH: number; PW: number;
  /** Weight of (output k, input c, tap i, j) at base + k·so + c·sc + i·si + j·sj. */
  w: [base: number, so: number, sc: number, si: number, sj: number];
}

/** `skipPad`: the input gradient, where taps on gy's padding add nothing (SKIP_PAD in conv_rows.wgsl). */
function rows3(rt: GpuRuntime, x: GPUBuffer, w: GPUBuffer, bias: GPUBuffer | null, r: Rows, label: string, variant: ConvVariant, skipPad = false): GPUBuffer {
  // The plain row kernel's case that the strip kernels do better: a 1-channel input gradient.
  if (variant === 'rows' && skipPad && r.Cout === 1 && r.KH === 3 && convVariants.strips) return strips3(rt, x, w, null, r, label);
  const Y = rt.createStorage(r.N * r.Cout * r.OH * r.OW * 4, label);
  const blocks = Math.ceil(r.OW / 8);
  const [w_base, w_so, w_sc, w_si, w_sj] = r.w;
  const uniforms = {
    N: r.N, Cin: r.Cin, Hin: r.Hin, Win: r.Win, Cout: r.Cout, OH: r.OH, OW: r.OW, KH: r.KH,
    PH: r.PH, PW: r.PW, blocks, has_bias: bias ? 1 : 0, w_base, w_so, w_sc, w_si, w_sj,
  };
  const CB = r.Cout === 1 ? 1 : r.Cout === 2 ? 2 : 4;
  // By rule, 5 or more channels take the 8-channel subgroup kernel (one block of 8 wastes no more
  // than two of 4), 3 or 4 the 4-channel one (pickConv).
  const sg8 = variant === 'rows-sg8';
  const sg4 = variant === 'rows-sg4';
  // Rows a multiple of 4 wide: the vec4-store form of the 8-channel kernel.
  const v4 = sg8 && r.OW % 4 === 0 && convVariants.vec4Stores;
  const entry = v4 ? ('conv2d_rows3_sg8_v4' as const) : sg8 ? ('conv2d_rows3_sg8' as const) : ('conv2d_rows3_sg' as const);
  rt.dispatch({
    ...(sg8 || sg4
      ? { shader: 'conv_subgroups' as const, entry, overrides: { WG, SKIP_PAD: skipPad ? 1 : 0 } }
      : { shader: 'conv' as const, entry: 'conv2d_rows3' as const, overrides: { WG, CB, SKIP_PAD: skipPad ? 1 : 0 } }),
    uniforms,
    // Without a bias the weights fill the bias binding too (both read-only, so aliasing is allowed).
    buffers: { X: x, Wt: w, ...(v4 ? { Y4: Y } : { Y }), B: bias ?? w },
    workgroups: grid(r.N * r.OH * blocks, Math.ceil(r.Cout / (sg8 ? 8 : CB))),
  });
  return Y;
}

/**
 * A 1-channel input gradient (3x3, stride 1): the strip kernels of shaders/conv_strips.wgsl, lanes
 * over (image, PX-column block), workgroups over (lanes, row chunk). PX (4..8) wastes the fewest
 * columns past the row's end (28 -> 7); the whole height is one chunk unless that leaves fewer
 * than 4 workgroups.
 * `fwd`: the forward of a 1-input-channel 3x3 conv (conv_strips_c1.wgsl), a workgroup per output
 * channel (wid.z), vec4 stores where rows are a multiple of 4 wide. bench/conv-dx1.ts --op fwd, x
 * (N,1,28,28) -> (N,32,28,28) with bias, 9 interleaved rounds, load 2.2, FMA ceiling 84 GFLOP/s, copy
 * 13 GB/s: b64 3.86 -> 2.84 ms (old/new per round 1.36x; 12% of FMA, 18% of copy), b256 12.0 ->
 * 7.6 ms (1.57x; 18%, 27%); scalar stores 1.20x / 1.42x, 4-pixel strips 1.34x / 1.48x; another
 * run (load 2.1, FMA 90): whole 28-row columns 1.67x / 1.74x (2.01 / 6.87 ms), row chunks of 14
 * 1.50x / 1.57x, of 7 1.43x / 1.31x. Short of
 * issue 14's 35% of FMA. Not the store bandwidth (2.3-3.3 GB/s of output at b64, against a 13 GB/s copy
 * ceiling); more likely the per-row overhead (addressing, masks) for 9 FMAs per output (not profiled).
 */
function strips3(rt: GpuRuntime, gy: GPUBuffer, w: GPUBuffer, bias: GPUBuffer | null, r: Rows, label: string, fwd = false): GPUBuffer {
  const Y = rt.createStorage(r.N * r.Cout * r.OH * r.OW * 4, label);
  const waste = (p: number): number => Math.ceil(r.OW / p) * p - r.OW;
  // The forward stores whole vec4s when rows are a multiple of 4 wide (strips of 4 or 8 pixels).
  const v4 = fwd && convVariants.vec4Stores && r.OW % 4 === 0 && (convVariants.stripPx % 4 === 0);
  // (With vec4 stores 8 pixels beat 4 even with half a strip past a 28-wide row's end: measured.)
  const px = convVariants.stripPx || (v4 ? 8 : [8, 7, 6, 5, 4].reduce((best, p) => (waste(p) < waste(best) ? p : best)));
  const blocks = Math.ceil(r.OW / px);
  const chunks = Math.max(1, Math.min(Math.ceil((4 * WG) / (r.N * blocks * (fwd ? r.Cout : 1))), Math.ceil(r.OH / 4)));
  const rows = convVariants.stripRows || Math.ceil(r.OH / chunks);
  // dx: weights of (input channel c, tap) at base + c·sc; forward (Cin = 1): of output channel c.
  const [w_base, w_so, w_sc0, w_si, w_sj] = r.w;
  const w_sc = fwd ? w_so : w_sc0;
  rt.dispatch({
    ...(fwd
      ? { shader: 'conv_strips_c1' as const, entry: 'conv2d_strips3_c1' as const }
      : useSubgroups(rt)
      ? { shader: 'conv_strips_sg' as const, entry: 'conv2d_strips3_o1_sg' as const }
      : { shader: 'conv_strips' as const, entry: 'conv2d_strips3_o1' as const }),
    overrides: { WG, PX: px, ...(fwd ? { PAD_ROWS: 1, V4: v4 ? 1 : 0 } : {}) },
    uniforms: {
      N: r.N, Cin: r.Cin, Hin: r.Hin, Win: r.Win, OH: r.OH, OW: r.OW, PH: r.PH, PW: r.PW, rows, blocks,
      Cout: fwd ? r.Cout : 1, has_bias: bias ? 1 : 0, w_base, w_sc, w_si, w_sj,
    },
    buffers: { X: gy, Wt: w, ...(fwd ? { Y4: Y, B: bias ?? w } : { Y }) },
    workgroups: [Math.ceil((r.N * blocks) / WG), Math.ceil(r.OH / rows), fwd ? r.Cout : 1],
  });
  return Y;
}

/** Stride 1, dilation 1, 3 columns: the row kernel applies (see shaders/conv.wgsl). */
const rowsApply = (g: ConvGeom): boolean => g.SH === 1 && g.SW === 1 && g.DH === 1 && g.DW === 1 && g.KW === 3;

export function conv2d(rt: GpuRuntime, x: GPUBuffer, w: GPUBuffer, bias: GPUBuffer | null, g: ConvGeom): GPUBuffer {
  const variant = rowsApply(g) ? pickConv(rt, 'conv2d', [g.N, g.C, g.H, g.W, g.O]) : 'generic';
  if (variant !== 'generic') {
    const kk = g.KH * g.KW;
    const r: Rows = {
      N: g.N, Cin: g.C, Hin: g.H, Win: g.W, Cout: g.O, OH: g.OH, OW: g.OW, KH: g.KH, PH: g.PH, PW: g.PW,
      w: [0, g.C * kk, kk, g.KW, 1],
    };
    // One input channel, 3x3: the strip kernel (conv_strips_c1.wgsl) unless a variant is pinned.
    if (g.C === 1 && g.KH === 3 && convVariants.stripsFwd && !convOverride.variant) return strips3(rt, x, w, bias, r, 'conv2d', true);
    return rows3(rt, x, w, bias, r, 'conv2d', variant);
  }
  const Y = rt.createStorage(g.N * g.O * g.OH * g.OW * 4, 'conv2d');
  rt.dispatch({
    shader: 'conv', entry: 'conv2d_forward', overrides: { WG }, uniforms: convUniforms(g, bias !== null),
    // Without a bias the weights fill the bias binding too (both read-only, so aliasing is allowed).
    buffers: { X: x, Wt: w, Y, B: bias ?? w },
    workgroups: grid(Math.ceil((g.N * g.OH * g.OW) / PX), Math.ceil(g.O / CH)),
  });
  return Y;
}

export function conv2dBackwardInput(rt: GpuRuntime, gy: GPUBuffer, w: GPUBuffer, g: ConvGeom): GPUBuffer {
  // Stride 1: dx is gy convolved with the flipped kernel, channels swapped, padding k − 1 − p.
  const rows = rowsApply(g) && g.PH <= g.KH - 1 && g.PW <= g.KW - 1;
  const variant = rows ? pickConv(rt, 'conv2dInput', [g.N, g.O, g.OH, g.OW, g.C]) : 'generic';
  if (variant !== 'generic') {
    const kk = g.KH * g.KW;
    return rows3(rt, gy, w, null, {
      N: g.N, Cin: g.O, Hin: g.OH, Win: g.OW, Cout: g.C, OH: g.H, OW: g.W, KH: g.KH, PH: g.KH - 1 - g.PH, PW: g.KW - 1 - g.PW,
      w: [kk - 1, kk, g.C * kk, -g.KW, -1],
    }, 'conv2dBackwardInput', variant, true);
  }
  const Y = rt.createStorage(g.N * g.C * g.H * g.W * 4, 'conv2dBackwardInput');
  rt.dispatch({
    shader: 'conv', entry: 'conv2d_backward_input', overrides: { WG }, uniforms: convUniforms(g, false),
    buffers: { X: gy, Wt: w, Y },
    workgroups: grid(Math.ceil((g.N * g.H * g.W) / PX), Math.ceil(g.C / CH)),
  });
  return Y;
}

/**
 * Split the pixel reduction into `splits` chunks of about 128 pixels (fewer when the partial sums
 * would pass 2^20 floats), then add the partials with the reduce kernel.
 */
export function conv2dBackwardWeight(rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, g: ConvGeom): GPUBuffer {
  if (rowsApply(g) && g.KH === 3) return rows3Weight(rt, x, gy, g);
  const P = g.N * g.OH * g.OW;
  const cols = g.C * g.KH * g.KW;
  const nw = g.O * cols;
  let splits = Math.max(1, Math.min(Math.ceil(P / 128), Math.floor(2 ** 20 / nw)));
  const chunk = Math.ceil(P / splits);
  splits = Math.ceil(P / chunk);
  const part = rt.createStorage(splits * nw * 4, 'conv2dBackwardWeight');
  rt.dispatch({
    shader: 'conv', entry: 'conv2d_backward_weight', overrides: { WG }, uniforms: convUniforms(g, false, splits, chunk),
    buffers: { X: x, Wt: gy, Y: part },
    workgroups: [Math.ceil(splits / WG), Math.ceil(cols / PX), Math.ceil(g.O / CH)],
  });
  if (splits === 1) return part;
  const out = reduce(rt, 'sum', part, { shape: [nw], strides: [1], offset: 0 }, { shape: [splits], strides: [nw], offset: 0 });
  rt.releaseStorage(part);
  return out;
}

/**
 * Stride-1 3x3 weight gradient with the column kernel (shaders/include/conv_cols.wgsl): invocations
 * over (4-channel block, input channel, chunk of runs, a run being one column of row segments down
 * an image); chunks are sized so that there are about 2048 invocations and at most 2^20 partial
 * sums, then added by the reduce kernel. (It replaced a kernel over chunks of single row segments,
 * which gathered 3 input rows per segment instead of 1: side by side in one process on Dawn +
 * lavapipe, (64,32,14,14)->64 dw, minima over four runs on a loaded machine: about 1.4x faster in
 * three (48 vs 139, 49 vs 68, 33 vs 52 ms), 1.15x slower in one (60 vs 52 ms); see the README.)
 * An invocation owns 8 output channels (DWO = 8, two blocks of 4 sharing each gathered x row)
 * when Cout > 4, and chunks aim at 512 invocations (was 4 channels, 2048): bench/conv-dw.ts, two
 * runs of 5-7 interleaved rounds, load 0.9-1.5, FMA ceiling 87-89 GFLOP/s: 1.01-1.23x per shape
 * (cnn-small 32->64 14x14 b64 15.1 -> 13.2 ms, 35 -> 40% of the ceiling; b256 53-54 ms either way;
 * 64->64 7x7 1.21-1.23x). Not the 50% aim: removing the x masks (selects) changed nothing, and
 * removing the subgroup broadcasts of gy (a wrong result, a probe) bought only 12%.
 */
function rows3Weight(rt: GpuRuntime, x: GPUBuffer, gy: GPUBuffer, g: ConvGeom): GPUBuffer {
  const blocks = Math.ceil(g.OW / 8);
  const runs = g.N * blocks; // columns of row segments
  const dwo = convVariants.dwChannels || (g.O > 4 ? 8 : 4);
  const pairs = Math.ceil(g.O / dwo) * g.C;
  const nw = g.O * g.C * 9;
  let splits = Math.max(1, Math.min(Math.ceil((convVariants.dwLanes || DW_LANES) / pairs), runs, Math.floor(2 ** 20 / nw)));
  const chunk = Math.ceil(runs / splits);
  splits = Math.ceil(runs / chunk);
  const part = rt.createStorage(splits * nw * 4, 'conv2dBackwardWeight');
  // The weight-gradient kernels reuse the Rows uniform: w_base holds the chunk (runs per
  // invocation) and w_so the pairs (channel-block x input-channel); the weight strides are unused.
  const uniforms = {
    N: g.N, Cin: g.C, Hin: g.H, Win: g.W, Cout: g.O, OH: g.OH, OW: g.OW, KH: 3,
    PH: g.PH, PW: g.PW, blocks, has_bias: 0, w_base: chunk, w_so: pairs, w_sc: 0, w_si: 0, w_sj: 0,
  };
  rt.dispatch({
    ...(useSubgroups(rt)
      ? { shader: 'conv_subgroups' as const, entry: 'conv2d_cols3_weight_sg' as const }
      : { shader: 'conv' as const, entry: 'conv2d_cols3_weight' as const }),
    overrides: { WG, DWO: dwo }, uniforms,
    buffers: { X: x, Wt: gy, Y: part }, workgroups: grid1d(pairs * splits, WG),
  });
  if (splits === 1) return part;
  const out = reduce(rt, 'sum', part, { shape: [nw], strides: [1], offset: 0 }, { shape: [splits], strides: [nw], offset: 0 });
  rt.releaseStorage(part);
  return out;
}

export const convKernels = (rt: GpuRuntime) => bindRuntime(rt, { conv2d, conv2dBackwardInput, conv2dBackwardWeight });
