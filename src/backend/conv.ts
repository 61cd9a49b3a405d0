/**
 * The convolution and pooling kernel families. Layouts follow PyTorch: activations NCHW, conv weights
 * [O, C, kh, kw]. Geometry arrives checked and complete (output sizes included) from src/ops/conv.ts
 * and src/ops/pool.ts, so both backends compute addresses from the same numbers.
 */

import type { ConvGeom, PoolGeom } from '../types.js';

export interface ConvOps<S> {
  /** y[n,o,oh,ow] = b[o] + Σ_{c,i,j} x[n, c, oh·SH − PH + i·DH, ow·SW − PW + j·DW] · w[o,c,i,j] (zero padding). */
  conv2d(x: S, w: S, bias: S | null, g: ConvGeom): S;
  /** The input gradient [N, C, H, W] from the output gradient gy [N, O, OH, OW]. */
  conv2dBackwardInput(gy: S, w: S, g: ConvGeom): S;
  /** The weight gradient [O, C, KH, KW]. (The bias gradient is a sum of gy over N, OH, OW.) */
  conv2dBackwardWeight(x: S, gy: S, g: ConvGeom): S;
}

export interface PoolOps<S> {
  /** Window maximum; padded positions never win (PyTorch pads max pooling with −∞). */
  maxPool2d(x: S, g: PoolGeom): S;
  /** gy routed to the first (row-major) maximal element of each window; overlapping windows add. */
  maxPool2dBackward(x: S, gy: S, g: PoolGeom): S;
  /** maxPool2d(relu(z)) in one pass (the relu output is never stored); NaN, ties and bits as the pair. */
  reluMaxPool2d(z: S, g: PoolGeom): S;
  /** The pair's gradient: maxPool2dBackward(relu(z), gy) · step(z), without storing relu(z). */
  reluMaxPool2dBackward(z: S, gy: S, g: PoolGeom): S;
  /** Window mean, dividing by KH·KW (padding counts: PyTorch's count_include_pad = true). */
  avgPool2d(x: S, g: PoolGeom): S;
  avgPool2dBackward(gy: S, g: PoolGeom): S;
}
