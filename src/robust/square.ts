import { noGrad } from '../autograd/tape.js';
import { throttle, tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Module } from '../nn/module.js';
import { full, tensor } from '../ops/creation.js';
import { add, clamp, gt, le, lt, maximum, mul, where } from '../ops/elementwise.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import type { Norm } from './attacks.js';
import { logitMargin } from './dlr.js';
import {
  attackBatch, checkThreat, chunksOf, intOption, type AdversarialSet, type AttackOutcome, type AttackProgress, type BatchOptions, type Prepared,
} from './prepare.js';
import { exampleRng, oneHotRows, putRows, retire, rowsOf, takeRows } from './rows.js';
import { drawL2, l2Proposal, l2StartDelta, onSphere, windowMask } from './square-parts.js';

/**
 * Square attack (Andriushchenko et al. 2020): score-based and black-box, it only reads logits. From
 * a start on the boundary of the ball, each query changes one random square window per example and
 * keeps the change when the margin z_y − max_{j≠y} z_j goes down (or the example is misclassified).
 * An example stops being queried once its margin is ≤ 0. Randomness is drawn on the host, one
 * stream per example; the loop reads back only every `compactEvery` queries, to drop the examples
 * already broken from the batch. As in the reference, a window's corner is drawn from
 * [0, H − s) × [0, W − s) (the last position is never drawn) and p follows its query counts.
 */
export interface SquareOptions extends BatchOptions {
  eps: number;
  norm?: Norm;
  /** Queries per example; default 5000. */
  nQueries?: number;
  /** Initial fraction of pixels a window covers; default 0.8. */
  pInit?: number;
  /** Default 0. */
  seed?: number;
  /** Stretch the p schedule to nQueries (as if 10 000 were asked); default false, as AutoAttack. */
  rescaleSchedule?: boolean;
  /** Read back margins and drop broken examples every this many queries; default 20. */
  compactEvery?: number;
  onProgress?: (p: AttackProgress) => void;
}

export interface SquareOutcome extends AttackOutcome {
  /** Forward passes spent on each example (the start counts as one; 0 where clean-misclassified). */
  queries: Int32Array;
  /** The lowest margin z_y − max_{j≠y} z_j Square reached per example (NaN where not attacked). */
  margin: Float64Array;
}

/** Per-example numbers a Square run reports besides the adversarial rows. */
export interface SquareSink {
  queries: Int32Array;
  margin: Float64Array;
}

export interface ResolvedSquare {
  eps: number;
  norm: Norm;
  nQueries: number;
  pInit: number;
  seed: number;
  rescale: boolean;
  batchSize: number;
  compactEvery: number;
}

export function resolveSquare(op: string, o: SquareOptions): ResolvedSquare {
  const norm = checkThreat(op, o.eps, o.norm);
  const pInit = o.pInit ?? 0.8;
  if (!(typeof pInit === 'number' && pInit > 0 && pInit <= 1)) throw new ValueError(`${op}: pInit ${String(pInit)} must lie in (0, 1]`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ValueError(`${op}: seed ${String(seed)} must be an integer`);
  return {
    eps: o.eps, norm, pInit, seed,
    nQueries: intOption(op, 'nQueries', o.nQueries, 5000),
    rescale: o.rescaleSchedule ?? false,
    batchSize: intOption(op, 'batchSize', o.batchSize, 512),
    compactEvery: intOption(op, 'compactEvery', o.compactEvery, 20),
  };
}

/** The fraction p at query `it` (0-based): p_init halved after queries 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000. */
export function squareP(it: number, pInit: number, nQueries: number, rescale: boolean): number {
  const i = rescale ? Math.trunc((it / nQueries) * 10000) : it;
  const steps = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let halvings = 0;
  for (const s of steps) if (i > s) halvings++;
  return pInit / 2 ** halvings;
}

/** Python's round(): halves go to the even neighbour. */
const roundHalfEven = (v: number): number => {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** The window side for p on a C×H×W image: √(p·H·W) rounded, at least 1 (L2: at least 3 and odd), at most min(H, W). */
export function squareSide(p: number, C: number, H: number, W: number, norm: Norm): number {
  let s = roundHalfEven(Math.sqrt((p * C * H * W) / C));
  if (norm === 'linf') s = Math.max(s, 1);
  else {
    s = Math.max(s, 3);
    if (s % 2 === 0) s++;
  }
  return Math.min(s, Math.min(H, W));
}

/** Input shape checks for Square: images [B, C, H, W]; L2 needs at least 5×5 (its start tiles ⌊H/5⌋-wide windows). */
export function checkSquareShape(op: string, x: Tensor, norm: Norm): void {
  if (x.rank !== 4) throw new ShapeError(`${op}: Square needs images [B, C, H, W], got ${fmtShape(x.shape)}; reshape flat inputs to their image shape first`);
  if (norm === 'l2' && Math.min(x.shape[2]!, x.shape[3]!) < 5) throw new ShapeError(`${op}: L2 Square needs images of at least 5×5 pixels, got ${fmtShape(x.shape)}`);
}

const sign = (r: Rng): number => (r.uniform() < 0.5 ? -1 : 1);

/** The start: L∞ vertical stripes x0 ± ε (a sign per channel and column); L2 the tiled η pattern scaled to norm ε. */
function squareStart(x0: Tensor, r: ResolvedSquare, rngs: readonly Rng[]): Tensor {
  const [n, C, H, W] = x0.shape as [number, number, number, number];
  const be = { backend: x0.backend };
  if (r.norm === 'linf') {
    const stripes = rngs.flatMap((g) => Array.from({ length: C * W }, () => r.eps * sign(g)));
    return tidy(() => clamp(add(x0, tensor(stripes, [n, C, 1, W], be)), 0, 1));
  }
  const delta = new Float64Array(n * C * H * W);
  rngs.forEach((g, b) => delta.set(l2StartDelta(C, H, W, g), b * C * H * W));
  return tidy(() => onSphere(x0, tensor(delta, x0.shape, be), r.eps));
}

/** The candidate of one query: L∞ the window set to x0 ± ε per channel, L2 see l2Proposal. */
function propose(x0: Tensor, xBest: Tensor, r: ResolvedSquare, s: number, rngs: readonly Rng[]): Tensor {
  const [n, C, H, W] = x0.shape as [number, number, number, number];
  const be = x0.backend;
  if (r.norm === 'linf') {
    const vh: number[] = [];
    const vw: number[] = [];
    const shift: number[] = [];
    for (const g of rngs) {
      vh.push(g.int(H - s));
      vw.push(g.int(W - s));
      for (let c = 0; c < C; c++) shift.push(r.eps * sign(g));
    }
    return tidy(() => where(windowMask(vh, vw, s, H, W, be), clamp(add(x0, tensor(shift, [n, C, 1, 1], { backend: be })), 0, 1), xBest));
  }
  const draws = rngs.map((g) => drawL2(g, H, W, s, C));
  return tidy(() => {
    const win1 = windowMask(draws.map((d) => d.vh), draws.map((d) => d.vw), s, H, W, be);
    const win2 = windowMask(draws.map((d) => d.vh2), draws.map((d) => d.vw2), s, H, W, be);
    return l2Proposal(x0, xBest, draws, s, r.eps, win1, win2);
  });
}

type Rows = Record<'x0' | 'onehotY' | 'xBest' | 'margin' | 'queries', Tensor>;

/** Margins of a batch of candidates (no gradient: the attack only reads scores). */
const marginsAt = (model: Module, x: Tensor, onehotY: Tensor): Tensor => noGrad(() => tidy(() => logitMargin(model.forward(x), onehotY)));

/** Square on one chunk of examples; returns their final points, margins and query counts. */
async function squareChunk(p: Prepared, chunk: readonly number[], r: ResolvedSquare, progress: (q: number) => void): Promise<{ x: Tensor; margin: Float64Array; queries: Float64Array }> {
  const be = p.x.backend;
  const [, C, H, W] = p.x.shape as [number, number, number, number];
  let rngs = chunk.map((i) => exampleRng(r.seed, 'square', p.ids[i]!));
  let at = chunk.map((_, k) => k); // chunk position of each current row
  const x0 = takeRows(p.x, chunk);
  const start = squareStart(x0, r, rngs);
  const onehotY = oneHotRows(chunk.map((i) => p.y[i]!), p.C, be);
  let st: Rows = { x0, onehotY, xBest: start, margin: marginsAt(p.model, start, onehotY), queries: full([chunk.length], 1, { backend: be }) };
  let out = tidy(() => mul(start, 1));
  const margin = new Float64Array(chunk.length);
  const queries = new Float64Array(chunk.length);
  // Write the current rows' state into the chunk-level results; keep only the rows still unbroken.
  const compact = async (): Promise<boolean> => {
    const prev = out;
    out = putRows(prev, st.xBest, at, at.map(() => 1));
    prev.dispose();
    const [m, q] = await Promise.all([st.margin.data(), st.queries.data()]);
    at.forEach((pos, k) => ((margin[pos] = m[k]!), (queries[pos] = q[k]!)));
    const keep = at.map((_, k) => k).filter((k) => m[k]! > 0);
    if (keep.length < at.length && keep.length > 0) {
      const next = Object.fromEntries(Object.entries(st).map(([k, t]) => [k, takeRows(t, keep)])) as Rows;
      retire(st, next);
      st = next;
      at = keep.map((k) => at[k]!);
      rngs = keep.map((k) => rngs[k]!);
    }
    return keep.length > 0;
  };
  try {
    for (let q = 0; q < r.nQueries; q++) {
      if (q % r.compactEvery === 0) {
        if (!(await compact())) break;
        if (q > 0) progress(q);
      }
      await throttle();
      const s = squareSide(squareP(q, r.pInit, r.nQueries, r.rescale), C, H, W, r.norm);
      const cur = st;
      const cand = propose(cur.x0, cur.xBest, r, s, rngs);
      const next = noGrad(() =>
        tidy(() => {
          const m = logitMargin(p.model.forward(cand), cur.onehotY);
          const active = gt(cur.margin, 0);
          const accept = mul(active, maximum(lt(m, cur.margin), le(m, 0)));
          return {
            ...cur,
            xBest: where(rowsOf(accept, cand.shape), cand, cur.xBest),
            margin: where(accept, m, cur.margin),
            queries: add(cur.queries, active),
          };
        }),
      );
      cand.dispose();
      retire(cur, next);
      st = next;
    }
    await compact();
    return { x: out, margin, queries };
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    for (const t of Object.values(st)) t.dispose();
  }
}

/** Square on the examples of `set` still robust, chunk by chunk; fills `queries` per example. */
export async function runSquare(p: Prepared, set: AdversarialSet, r: ResolvedSquare, name: string, sink?: SquareSink, onProgress?: (e: AttackProgress) => void): Promise<void> {
  checkSquareShape(p.op, p.x, r.norm);
  for (const chunk of chunksOf(set.robustIndices(), r.batchSize)) {
    const report = (q: number) => q % 500 === 0 && onProgress?.({ attack: name, stage: `query ${q}/${r.nQueries}`, robust: set.robustCount, n: p.B });
    const res = await squareChunk(p, chunk, r, report);
    try {
      await set.acceptFooled(chunk, res.x, Array.from(res.margin, (m) => (m <= 0 ? 1 : 0)));
    } finally {
      res.x.dispose();
    }
    if (sink) chunk.forEach((i, k) => ((sink.queries[i] = res.queries[k]!), (sink.margin[i] = res.margin[k]!)));
  }
  onProgress?.({ attack: name, stage: 'done', robust: set.robustCount, n: p.B });
}

/**
 * Square attack on a batch of images [B, C, H, W] in [0, 1], L∞ or L2, margin loss.
 *
 *   const r = await robust.square(model, x, y, { eps: 0.3, nQueries: 5000, seed: 0 });
 */
export async function square(model: Module, x: Tensor, y: ArrayLike<number>, opts: SquareOptions): Promise<SquareOutcome> {
  const r = resolveSquare('square', opts);
  checkSquareShape('square', x, r.norm);
  const sink: SquareSink = { queries: new Int32Array(x.shape[0]!), margin: new Float64Array(x.shape[0]!).fill(NaN) };
  const res = await attackBatch('square', model, x, y, opts, (p, set) => runSquare(p, set, r, 'square', sink, opts.onProgress));
  return { ...res, ...sink };
}
