import type { PoolGeom } from '../types.js';
import { record, type VjpTable } from '../autograd/tape.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { outSize, pair, type Pair } from './window.js';
import { mean } from './reduce.js';
import { requireFloat, wrap } from './util.js';

export interface Pool2dOptions {
  kernel: Pair;
  /** Defaults to the kernel size (non-overlapping windows), as in PyTorch. */
  stride?: Pair;
  padding?: Pair;
}

function geometry(op: string, x: Tensor, o: Pool2dOptions): PoolGeom {
  if (x.rank !== 4) throw new ShapeError(`${op}: input must be NCHW [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [KH, KW] = pair(op, 'kernel', o.kernel, 1);
  const [SH, SW] = pair(op, 'stride', o.stride ?? o.kernel, 1);
  const [PH, PW] = pair(op, 'padding', o.padding ?? 0, 0);
  if (2 * PH > KH || 2 * PW > KW) throw new ValueError(`${op}: padding [${PH}, ${PW}] must be at most half the kernel [${KH}, ${KW}] (as in PyTorch)`);
  const OH = outSize(H, KH, SH, PH, 1);
  const OW = outSize(W, KW, SW, PW, 1);
  if (OH <= 0 || OW <= 0) throw new ShapeError(`${op}: a ${KH} x ${KW} window does not fit input ${fmtShape(x.shape)} with padding [${PH}, ${PW}]`);
  return { planes: N * C, H, W, KH, KW, SH, SW, PH, PW, OH, OW };
}

const outShape = (x: Tensor, g: PoolGeom): number[] => [x.shape[0]!, x.shape[1]!, g.OH, g.OW];

// d maxPool: gy goes to the first maximal element of each window; d avgPool: gy / (KH·KW) to every
// element of each window (both computed by gathering from the windows that contain each input).
const poolVjp = {
  maxPool2d: (gy, [x], _y, g: PoolGeom) => {
    const be = gy.backend;
    return [wrap(x!.shape, 'float32', be, be.maxPool2dBackward(x!.storage('maxPool2d backward'), gy.storage('maxPool2d backward'), g))];
  },
  // maxPool2d's rule times step(z), in the same pass.
  reluMaxPool2d: (gy, [z], _y, g: PoolGeom) => {
    const be = gy.backend;
    return [wrap(z!.shape, 'float32', be, be.reluMaxPool2dBackward(z!.storage('reluMaxPool2d backward'), gy.storage('reluMaxPool2d backward'), g))];
  },
  avgPool2d: (gy, [x], _y, g: PoolGeom) => {
    const be = gy.backend;
    return [wrap(x!.shape, 'float32', be, be.avgPool2dBackward(gy.storage('avgPool2d backward'), g))];
  },
} satisfies VjpTable<'maxPool2d' | 'reluMaxPool2d' | 'avgPool2d'>;

type MaxOp = 'maxPool2d' | 'reluMaxPool2d';

function maxPool(op: MaxOp, x: Tensor, opts: Pool2dOptions): Tensor {
  requireFloat(op, x);
  const g = geometry(op, x, opts);
  const be = x.backend;
  const s = x.storage(op);
  const out = wrap(outShape(x, g), 'float32', be, op === 'maxPool2d' ? be.maxPool2d(s, g) : be.reluMaxPool2d(s, g));
  record(op, poolVjp[op], [x], out, g);
  return out;
}

/** Max pooling (torch.nn.functional.max_pool2d, floor mode); the gradient goes to the first maximum of each window. */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return maxPool('maxPool2d', x, opts);
}

/**
 * maxPool2d(relu(z), opts) in one op: the relu output is never stored, and the gradient with
 * respect to z comes from one kernel (no reluGrad pass). Equal to the pair bit for bit, NaN and ±Inf
 * included: our relu passes NaN, so a NaN in a window wins as in maxPool2d; windows whose max is <= 0
 * (or NaN) give z no gradient (relu' is z > 0, as PyTorch), and the first maximum takes it on ties.
 */
export function reluMaxPool2d(z: Tensor, opts: Pool2dOptions): Tensor {
  return maxPool('reluMaxPool2d', z, opts);
}

/** Average pooling (torch.nn.functional.avg_pool2d with count_include_pad = true, floor mode). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  requireFloat('avgPool2d', x);
  const g = geometry('avgPool2d', x, opts);
  const be = x.backend;
  const out = wrap(outShape(x, g), 'float32', be, be.avgPool2d(x.storage('avgPool2d'), g));
  record('avgPool2d', poolVjp.avgPool2d, [x], out, g);
  return out;
}

/** Mean over H and W: [N, C, H, W] -> [N, C]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  if (x.rank !== 4) throw new ShapeError(`globalAvgPool2d: input must be NCHW [N, C, H, W], got ${fmtShape(x.shape)}`);
  return mean(x, [2, 3]);
}
