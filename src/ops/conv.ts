import type { ConvGeom } from '../types.js';
import { record, type VjpTable } from '../autograd/tape.js';
import { ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { sum } from './reduce.js';
import { backendOf, checkAlloc, requireFloat, wrap } from './util.js';
import { outSize, pair, type Pair } from './window.js';

export type { Pair } from './window.js';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

function geometry(x: Tensor, w: Tensor, bias: Tensor | null, o: Conv2dOptions): ConvGeom {
  if (x.rank !== 4) throw new ShapeError(`conv2d: input must be NCHW [N, C, H, W], got ${fmtShape(x.shape)}; add a batch axis with expandDims(x, 0)`);
  if (w.rank !== 4) throw new ShapeError(`conv2d: weight must be [O, C, kh, kw], got ${fmtShape(w.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cw, KH, KW] = w.shape as [number, number, number, number];
  if (Cw !== C) throw new ShapeError(`conv2d: input has ${C} channels ${fmtShape(x.shape)} but the weight expects ${Cw} ${fmtShape(w.shape)} (weight layout [O, C, kh, kw])`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== O)) throw new ShapeError(`conv2d: bias must have shape [${O}] (one per output channel), got ${fmtShape(bias.shape)}`);
  const [SH, SW] = pair('conv2d', 'stride', o.stride ?? 1, 1);
  const [PH, PW] = pair('conv2d', 'padding', o.padding ?? 0, 0);
  const [DH, DW] = pair('conv2d', 'dilation', o.dilation ?? 1, 1);
  const OH = outSize(H, KH, SH, PH, DH);
  const OW = outSize(W, KW, SW, PW, DW);
  if (OH <= 0 || OW <= 0) {
    throw new ShapeError(
      `conv2d: output would be ${OH} x ${OW}: input ${H} x ${W} with padding [${PH}, ${PW}] is smaller than the ` +
        `dilated kernel ${DH * (KH - 1) + 1} x ${DW * (KW - 1) + 1}; pad more or use a smaller kernel`,
    );
  }
  return { N, C, H, W, O, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW };
}

// dx and dw by their own kernels (the transposed convolutions), db = Σ_{n, oh, ow} gy. Only what the
// tape needs is computed: never dx of the first layer in training, never dw during an attack.
const convVjp = {
  conv2d: (g, [x, w, b], _y, geom: ConvGeom, needs) => {
    const be = g.backend;
    const gs = g.storage('conv2d backward');
    const dx = needs[0] ? wrap(x!.shape, 'float32', be, be.conv2dBackwardInput(gs, w!.storage('conv2d backward'), geom)) : null;
    const dw = needs[1] ? wrap(w!.shape, 'float32', be, be.conv2dBackwardWeight(x!.storage('conv2d backward'), gs, geom)) : null;
    return b ? [dx, dw, needs[2] ? sum(g, [0, 2, 3]) : null] : [dx, dw];
  },
} satisfies VjpTable<'conv2d'>;

/**
 * 2-D cross-correlation as torch.nn.functional.conv2d: x [N, C, H, W], w [O, C, kh, kw],
 * bias [O] or null; stride, padding (zeros) and dilation per axis. Returns [N, O, OH, OW].
 */
export function conv2d(x: Tensor, w: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const ins = bias ? [x, w, bias] : [x, w];
  requireFloat('conv2d', ...ins);
  const be = backendOf('conv2d', ...ins);
  const g = geometry(x, w, bias, opts);
  checkAlloc('conv2d', [g.N, g.O, g.OH, g.OW], be);
  const s = be.conv2d(x.storage('conv2d'), w.storage('conv2d'), bias ? bias.storage('conv2d') : null, g);
  const out = wrap([g.N, g.O, g.OH, g.OW], 'float32', be, s);
  record('conv2d', convVjp.conv2d, ins, out, g);
  return out;
}
