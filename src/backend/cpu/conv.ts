import type { ConvOps, PoolOps } from '../conv.js';
import type { ConvGeom, PoolGeom } from '../../types.js';

/**
 * The float64 reference for convolution and pooling: direct loops over the definitions in
 * src/backend/conv.ts, written for clarity. Each gradient loops over the forward's index space and
 * scatters, which makes it an independent check of the GPU kernels (those gather instead).
 */

/**
 * Calls fn(yAddr, wAddr, xAddr) for every in-bounds tap of the convolution, and with xAddr = -1 for
 * the taps on the zero padding when `padded` is set.
 */
function forEachTap(g: ConvGeom, fn: (yAddr: number, wAddr: number, xAddr: number) => void, padded = false): void {
  const { N, C, H, W, O, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW } = g;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const yAddr = ((n * O + o) * OH + oh) * OW + ow;
          for (let c = 0; c < C; c++)
            for (let i = 0; i < KH; i++) {
              const ih = oh * SH - PH + i * DH;
              for (let j = 0; j < KW; j++) {
                const iw = ow * SW - PW + j * DW;
                const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
                if (inside) fn(yAddr, ((o * C + c) * KH + i) * KW + j, ((n * C + c) * H + ih) * W + iw);
                else if (padded) fn(yAddr, ((o * C + c) * KH + i) * KW + j, -1);
              }
            }
        }
}

export const cpuConv: ConvOps<Float64Array> = {
  conv2d(x, w, bias, g) {
    const y = new Float64Array(g.N * g.O * g.OH * g.OW);
    // Padding is zeros that multiply the weights, as in PyTorch: a NaN or Inf weight makes NaN even
    // where its window lies in the padding (0·Inf = NaN).
    forEachTap(g, (yA, wA, xA) => (y[yA]! += (xA < 0 ? 0 : x[xA]!) * w[wA]!), true);
    if (bias) {
      const plane = g.OH * g.OW;
      for (let k = 0; k < y.length; k++) y[k]! += bias[Math.floor(k / plane) % g.O]!;
    }
    return y;
  },
  conv2dBackwardInput(gy, w, g) {
    const dx = new Float64Array(g.N * g.C * g.H * g.W);
    forEachTap(g, (yA, wA, xA) => (dx[xA]! += gy[yA]! * w[wA]!));
    return dx;
  },
  conv2dBackwardWeight(x, gy, g) {
    const dw = new Float64Array(g.O * g.C * g.KH * g.KW);
    // As in the forward (and PyTorch's im2col), taps on the padding multiply gy by a zero: an
    // infinite or NaN gradient there makes NaN.
    forEachTap(g, (yA, wA, xA) => (dw[wA]! += gy[yA]! * (xA < 0 ? 0 : x[xA]!)), true);
    return dw;
  },
};

/** Calls fn(yAddr, xAddr) for every in-bounds window element, in row-major order within a window. */
function forEachWindow(g: PoolGeom, fn: (yAddr: number, xAddr: number) => void): void {
  const { planes, H, W, KH, KW, SH, SW, PH, PW, OH, OW } = g;
  for (let p = 0; p < planes; p++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const yAddr = (p * OH + oh) * OW + ow;
        for (let i = 0; i < KH; i++) {
          const ih = oh * SH - PH + i;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < KW; j++) {
            const iw = ow * SW - PW + j;
            if (iw >= 0 && iw < W) fn(yAddr, (p * H + ih) * W + iw);
          }
        }
      }
}

/** For each output, the input address of the first maximal element of its window. */
function argmaxes(x: Float64Array, g: PoolGeom): Int32Array {
  const best = new Float64Array(g.planes * g.OH * g.OW).fill(-Infinity);
  const at = new Int32Array(best.length).fill(-1);
  forEachWindow(g, (y, a) => {
    // A NaN beats every number and the first NaN wins (PyTorch's max_pool2d propagates NaN).
    if (at[y] === -1 || x[a]! > best[y]! || (Number.isNaN(x[a]!) && !Number.isNaN(best[y]!))) {
      best[y] = x[a]!;
      at[y] = a;
    }
  });
  return at;
}

/** relu as src/backend/cpu/core.ts computes it: NaN passes, everything not > 0 becomes +0. */
const reluOf = (z: Float64Array): Float64Array => z.map((v) => (v > 0 || Number.isNaN(v) ? v : 0));

export const cpuPool: PoolOps<Float64Array> = {
  maxPool2d(x, g) {
    const at = argmaxes(x, g);
    return Float64Array.from(at, (a) => x[a]!);
  },
  maxPool2dBackward(x, gy, g) {
    const dx = new Float64Array(g.planes * g.H * g.W);
    argmaxes(x, g).forEach((a, y) => (dx[a]! += gy[y]!));
    return dx;
  },
  // The fused op's definition, literally: maxPool2d(relu(z)), and its gradient
  // maxPool2dBackward(relu(z), gy) · step(z) (relu's reluGrad, so Inf · 0 = NaN as in the pair).
  reluMaxPool2d(z, g) {
    return cpuPool.maxPool2d(reluOf(z), g);
  },
  reluMaxPool2dBackward(z, gy, g) {
    const dz = cpuPool.maxPool2dBackward(reluOf(z), gy, g);
    return dz.map((d, i) => d * (z[i]! > 0 ? 1 : 0));
  },
  avgPool2d(x, g) {
    const y = new Float64Array(g.planes * g.OH * g.OW);
    const k = 1 / (g.KH * g.KW);
    forEachWindow(g, (yA, xA) => (y[yA]! += x[xA]! * k));
    return y;
  },
  avgPool2dBackward(gy, g) {
    const dx = new Float64Array(g.planes * g.H * g.W);
    const k = 1 / (g.KH * g.KW);
    forEachWindow(g, (yA, xA) => (dx[xA]! += gy[yA]! * k));
    return dx;
  },
};
