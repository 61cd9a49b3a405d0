import { tidy } from '../engine.js';
import { tensor } from '../ops/creation.js';
import { add, affine, clamp, div, eq, ge, lt, maximum, mul, relu, sqrt, square, sub, where } from '../ops/elementwise.js';
import { reshape } from '../ops/layout.js';
import { matmul, matmulT } from '../ops/matmul.js';
import { sum } from '../ops/reduce.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';

/**
 * The Square attack's per-query pieces (Andriushchenko et al. 2020 and `square.py`): window masks
 * with a window per example, and for L2 the window pattern η, the start and the proposal.
 */

/**
 * Nested rectangles on an x×y grid centred at (⌊x/2⌋, ⌊y/2⌋): the cell at Chebyshev distance d from
 * the centre gets Σ_{k ≥ d} 1/(k+1)², so the mass falls off from the centre; unit L2 norm.
 */
function rectangles(x: number, y: number): Float64Array {
  const out = new Float64Array(x * y);
  const cx = Math.floor(x / 2);
  const cy = Math.floor(y / 2);
  for (let k = 0; k < Math.max(cx + 1, cy + 1); k++) {
    for (let i = Math.max(cx - k, 0); i < Math.min(cx - k + 2 * k + 1, x); i++) {
      for (let j = Math.max(cy - k, 0); j < Math.min(cy - k + 2 * k + 1, y); j++) out[i * y + j]! += 1 / (k + 1) ** 2;
    }
  }
  return normalised(out);
}

function normalised(v: Float64Array): Float64Array {
  const n = Math.sqrt(v.reduce((s, a) => s + a * a, 0));
  return n > 0 ? v.map((a) => a / n) : v;
}

/** η(s): the top ⌊s/2⌋ rows a positive rectangle pattern, the rest a negative one; unit L2 norm. */
export function squareEta(s: number): Float64Array {
  const top = Math.floor(s / 2);
  const out = new Float64Array(s * s);
  out.set(rectangles(top, s), 0);
  rectangles(s - top, s).forEach((v, i) => (out[top * s + i] = -v));
  return normalised(out);
}

const transposed = (p: Float64Array, s: number): Float64Array => p.map((_, k) => p[(k % s) * s + Math.floor(k / s)]!);

const sign = (r: Rng): number => (r.uniform() < 0.5 ? -1 : 1);

/**
 * The start δ of one example [C, H, W]: a grid of s×s windows (s = ⌊H/5⌋), each holding η(s)
 * (transposed at random) times a random sign per channel; windows cut at the image border.
 */
export function l2StartDelta(C: number, H: number, W: number, rng: Rng): Float64Array {
  const s = Math.floor(H / 5);
  const at = Math.floor((H - 5 * s) / 2);
  const out = new Float64Array(C * H * W);
  const eta = squareEta(s);
  for (let a = 0; a < Math.floor(H / s); a++) {
    for (let b = 0; b < Math.floor(W / s); b++) {
      const p = rng.uniform() < 0.5 ? transposed(eta, s) : eta;
      const [vh, vw] = [at + a * s, at + b * s];
      for (let c = 0; c < C; c++) {
        const sg = sign(rng);
        for (let i = 0; i < s && vh + i < H; i++) {
          for (let j = 0; j < s && vw + j < W; j++) out[(c * H + vh + i) * W + vw + j]! += sg * p[i * s + j]!;
        }
      }
    }
  }
  return out;
}

/** Per-example L2 norm over the given axes, kept as size-1 axes. */
const norm = (v: Tensor, axes: number[]): Tensor => sqrt(sum(square(v), axes, true));

/** x0 + ε·δ/‖δ‖, clipped to [0, 1]. */
export const onSphere = (x0: Tensor, delta: Tensor, eps: number): Tensor =>
  tidy(() => clamp(add(x0, mul(div(delta, affine(norm(delta, [1, 2, 3]), 1, 1e-12)), eps)), 0, 1));

/** Host draws of one L2 query for one example. */
export interface L2Draw {
  vh: number;
  vw: number;
  vh2: number;
  vw2: number;
  flip: boolean;
  signs: number[];
}

export function drawL2(rng: Rng, H: number, W: number, s: number, C: number): L2Draw {
  const vh = rng.int(H - s);
  const vw = rng.int(W - s);
  const vh2 = rng.int(H - s);
  const vw2 = rng.int(W - s);
  const flip = rng.uniform() < 0.5;
  return { vh, vw, vh2, vw2, flip, signs: Array.from({ length: C }, () => sign(rng)) };
}

/** [n, 1, H, W] 0/1 masks of the s×s windows at rows vh…vh+s−1, columns vw…vw+s−1, per example. */
export function windowMask(vh: readonly number[], vw: readonly number[], s: number, H: number, W: number, be: Tensor['backend']): Tensor {
  return tidy(() => {
    const n = vh.length;
    const rows = tensor(iota(H), [1, 1, H, 1], { backend: be });
    const cols = tensor(iota(W), [1, 1, 1, W], { backend: be });
    const top = tensor(vh, [n, 1, 1, 1], { backend: be });
    const left = tensor(vw, [n, 1, 1, 1], { backend: be });
    return mul(mul(ge(rows, top), lt(rows, affine(top, 1, s))), mul(ge(cols, left), lt(cols, affine(left, 1, s))));
  });
}

const iota = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i);

/**
 * One L2 proposal per example (`square.py`, L2 branch): inside window 1 a fresh η pattern with a
 * random sign per channel plus the old perturbation of that window (normalised), scaled so that
 * the windows take up the budget the rest of the image leaves; window 2 emptied; the whole
 * perturbation then rescaled to norm ε and clipped to the box.
 */
export function l2Proposal(x0: Tensor, xBest: Tensor, d: L2Draw[], s: number, eps: number, win1: Tensor, win2: Tensor): Tensor {
  const [n, C, H, W] = x0.shape as [number, number, number, number];
  const be = x0.backend;
  return tidy(() => {
    const eta = squareEta(s);
    const pattern = tensor(eta, [1, s, s], { backend: be });
    const patternT = tensor(transposed(eta, s), [1, s, s], { backend: be });
    const flip = tensor(d.map((e) => (e.flip ? 1 : 0)), [n, 1, 1], { backend: be });
    // Place each example's s×s pattern at its window: canvas = R·P·Cᵀ with one-hot shift matrices
    // R[h, i] = [h − i = vh] (H×s) and C[w, j] = [w − j = vw] (W×s), built by comparing indices.
    const shift = (len: number, at: number[]) =>
      eq(sub(tensor(iota(len), [1, len, 1], { backend: be }), tensor(iota(s), [1, 1, s], { backend: be })), tensor(at, [n, 1, 1], { backend: be }));
    const canvas = reshape(
      matmulT(matmul(shift(H, d.map((e) => e.vh)), where(flip, patternT, pattern)), shift(W, d.map((e) => e.vw)), false, true),
      [n, 1, H, W],
    );
    const signs = tensor(d.flatMap((e) => e.signs), [n, C, 1, 1], { backend: be });
    const delta = sub(xBest, x0);
    const union = maximum(win1, win2);
    const budget = sqrt(add(div(relu(sub(eps * eps, square(norm(delta, [1, 2, 3])))), C), square(norm(mul(delta, union), [2, 3]))));
    const fresh = add(mul(canvas, signs), div(mul(delta, win1), affine(norm(mul(delta, win1), [2, 3]), 1, 1e-12)));
    const scaled = mul(div(fresh, affine(norm(fresh, [2, 3]), 1, 1e-12)), budget);
    return onSphere(x0, add(mul(delta, sub(1, union)), scaled), eps);
  });
}
