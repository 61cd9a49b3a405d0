/**
 * Logit statistics (methods.md §4, paper (d)): per-example max logit, gap, centred max, confidence,
 * entropy and true-class margin on the GPU (shaders/logits.wgsl, float64 oracle in
 * backend/cpu/logits.ts); summaries, shared-bin histograms and the per-example confidence
 * comparison of two models in JS float64 on the host, where the numbers are few.
 */
import { noGrad } from '../autograd/tape.js';
import { LOGIT_STATS, type LogitStatName } from '../types.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Labels } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { tensor } from '../ops/creation.js';
import { requireFloat, wrap } from '../ops/util.js';
import { Tensor } from '../tensor.js';

export { LOGIT_STATS, type LogitStatName };

/** A batch as analysis routines take it: inputs and integer labels. */
export interface LabelledBatch {
  x: Tensor;
  y: Labels;
}

/** Labels as an int32 tensor on the logits' backend (a fresh tensor the caller disposes, or null). */
function labelTensor(op: string, logits: Tensor, labels: Labels | undefined): { t: Tensor | null; own: boolean } {
  if (labels === undefined) return { t: null, own: false };
  const [B, C] = logits.shape as [number, number];
  if (labels instanceof Tensor) {
    if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== B) {
      throw new ShapeError(`${op}: labels must be int32 [${B}], got ${labels.dtype} ${fmtShape(labels.shape)}`);
    }
    if (labels.backend !== logits.backend) throw new ValueError(`${op}: labels and logits live on different backends`);
    return { t: labels, own: false };
  }
  if (labels.length !== B) throw new ShapeError(`${op}: ${labels.length} labels for ${B} rows of logits ${fmtShape(logits.shape)}`);
  for (let i = 0; i < B; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new ValueError(`${op}: label ${y} at index ${i} is outside [0, ${C})`);
  }
  return { t: tensor(labels, [B], { dtype: 'int32', backend: logits.backend }), own: true };
}

/**
 * Per-row statistics of logits [B, C] as a [B, 7] tensor, columns in LOGIT_STATS order. Without
 * labels the margin column is 0. No gradient. A label tensor's values are trusted to lie in [0, C).
 */
export function logitStatistics(logits: Tensor, labels?: Labels): Tensor {
  requireFloat('logitStatistics', logits);
  if (logits.rank !== 2) throw new ShapeError(`logitStatistics: logits must be [batch, classes], got ${fmtShape(logits.shape)}`);
  const [B, C] = logits.shape as [number, number];
  const { t, own } = labelTensor('logitStatistics', logits, labels);
  const be = logits.backend;
  const out = wrap([B, LOGIT_STATS.length], 'float32', be, be.logitStats(logits.storage('logitStatistics'), t ? t.storage('logitStatistics') : null, B, C));
  if (own) t!.dispose();
  return out;
}

/** Per-example statistics on the host. `correct` and `margin` exist only when labels were given. */
export interface LogitStatsTable {
  n: number;
  classes: number;
  maxLogit: Float64Array;
  gap: Float64Array;
  maxMinusMean: Float64Array;
  confidence: Float64Array;
  entropy: Float64Array;
  margin: Float64Array | null;
  pred: Int32Array;
  labels: Int32Array | null;
  correct: Uint8Array | null;
}

async function hostLabels(labels: Labels): Promise<Int32Array> {
  return labels instanceof Tensor ? Int32Array.from(await labels.data()) : Int32Array.from(labels);
}

/** Read the statistics of one batch of logits to the host. */
export async function readLogitStats(logits: Tensor, labels?: Labels): Promise<LogitStatsTable> {
  const s = logitStatistics(logits, labels);
  const v = await s.data();
  s.dispose();
  const [B, C] = logits.shape as [number, number];
  // WGSL does not promise NaN propagation, so check here, where the numbers leave the GPU.
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    throw new ValueError(`readLogitStats: row ${Math.floor(bad / 7)} of logits ${fmtShape(logits.shape)} gives a non-finite ${LOGIT_STATS[bad % 7]}; the logits contain NaN or Inf (check the model and its inputs)`);
  }
  const col = (j: number): Float64Array => Float64Array.from({ length: B }, (_, i) => v[i * 7 + j]!);
  const pred = Int32Array.from(col(6));
  const y = labels === undefined ? null : await hostLabels(labels);
  return {
    n: B, classes: C,
    maxLogit: col(0), gap: col(1), maxMinusMean: col(2), confidence: col(3), entropy: col(4),
    margin: y ? col(5) : null,
    pred, labels: y,
    correct: y ? Uint8Array.from(pred, (p, i) => +(p === y[i])) : null,
  };
}

/** Join per-batch tables (in order). */
export function concatStats(parts: readonly LogitStatsTable[]): LogitStatsTable {
  if (parts.length === 0) throw new ValueError('concatStats: no tables');
  const C = parts[0]!.classes;
  const withLabels = parts[0]!.labels !== null;
  for (const p of parts) {
    if (p.classes !== C || (p.labels !== null) !== withLabels) throw new ValueError('concatStats: tables differ in classes or in having labels');
  }
  const cat = <T extends Float64Array | Int32Array | Uint8Array>(get: (p: LogitStatsTable) => T, make: (n: number) => T): T => {
    const out = make(parts.reduce((a, p) => a + p.n, 0));
    let at = 0;
    for (const p of parts) {
      out.set(get(p), at);
      at += p.n;
    }
    return out;
  };
  const f64 = (n: number) => new Float64Array(n);
  return {
    n: parts.reduce((a, p) => a + p.n, 0), classes: C,
    maxLogit: cat((p) => p.maxLogit, f64), gap: cat((p) => p.gap, f64), maxMinusMean: cat((p) => p.maxMinusMean, f64),
    confidence: cat((p) => p.confidence, f64), entropy: cat((p) => p.entropy, f64),
    margin: withLabels ? cat((p) => p.margin!, f64) : null,
    pred: cat((p) => p.pred, (n) => new Int32Array(n)),
    labels: withLabels ? cat((p) => p.labels!, (n) => new Int32Array(n)) : null,
    correct: withLabels ? cat((p) => p.correct!, (n) => new Uint8Array(n)) : null,
  };
}

/** Run `model` (eval mode, no gradient) over labelled batches and collect every example's statistics. */
export async function collectLogitStats(model: Module, batches: Iterable<LabelledBatch> | AsyncIterable<LabelledBatch>): Promise<LogitStatsTable> {
  const wasTraining = model.training;
  model.eval();
  const parts: LogitStatsTable[] = [];
  try {
    for await (const { x, y } of batches) {
      const z = noGrad(() => model.forward(x));
      try {
        parts.push(await readLogitStats(z, y));
      } finally {
        z.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return concatStats(parts);
}

// ---- summaries and histograms (host, float64) ----------------------------------------------

export interface Summary {
  n: number;
  mean: number;
  median: number;
  std: number;
  min: number;
  max: number;
}

/** Mean, median (average of the middle two for even n), population std, range; NaNs for n = 0. */
export function summary(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { n, mean: NaN, median: NaN, std: NaN, min: NaN, max: NaN };
  const s = Float64Array.from(values).sort();
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const median = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return { n, mean, median, std, min: s[0]!, max: s[n - 1]! };
}

export type StatSummaries = Partial<Record<Exclude<LogitStatName, 'argmax'>, { all: Summary; correct?: Summary; incorrect?: Summary }>>;

/** Summaries of every statistic, split by correct and incorrect predictions when labels exist. */
export function summarize(t: LogitStatsTable): StatSummaries {
  const out: StatSummaries = {};
  for (const name of ['maxLogit', 'gap', 'maxMinusMean', 'confidence', 'entropy', 'margin'] as const) {
    const v = t[name];
    if (!v) continue;
    const entry: { all: Summary; correct?: Summary; incorrect?: Summary } = { all: summary(v) };
    if (t.correct) {
      entry.correct = summary(v.filter((_, i) => t.correct![i] === 1));
      entry.incorrect = summary(v.filter((_, i) => t.correct![i] === 0));
    }
    out[name] = entry;
  }
  return out;
}

/** `bins` equal-width bin edges (bins + 1 numbers) spanning the values of every array given. */
export function sharedBins(arrays: readonly ArrayLike<number>[], bins = 30): number[] {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new ValueError(`sharedBins: bins must be a positive integer, got ${bins}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i]!)) throw new ValueError(`sharedBins: value ${a[i]} at index ${i} is not finite`);
      lo = Math.min(lo, a[i]!);
      hi = Math.max(hi, a[i]!);
    }
  }
  if (lo === Infinity) throw new ValueError('sharedBins: no values');
  if (hi === lo) hi = lo + 1;
  return Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + ((hi - lo) * k) / bins));
}

/** Counts per bin [e_k, e_{k+1}); the last bin also holds its right edge. Values outside are dropped. */
export function histogram(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  if (bins < 1) throw new ValueError('histogram: needs at least two edges');
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= edges[0]! && v <= edges[bins]!)) continue;
    // Binary search for the last edge <= v.
    let a = 0;
    let b = bins;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (edges[m]! <= v) a = m;
      else b = m;
    }
    counts[a]!++;
  }
  return counts;
}

// ---- per-example comparison of two models ----------------------------------------------------

/** 1-based ranks in ascending order, ties sharing their average rank. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = avg;
    i = j + 1;
  }
  return ranks;
}

/** Within-sample percentile ranks in (0, 1): (#lower + ½·#equal) / n. */
export function percentileRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  return averageRanks(values).map((r) => (r - 0.5) / n);
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Spearman's rank correlation (Pearson of average ranks, exact with ties); NaN if either is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length < 2) throw new ShapeError(`spearman: needs two equal-length samples of size >= 2, got ${a.length} and ${b.length}`);
  return pearson(averageRanks(a), averageRanks(b));
}

/** Indices of the k largest (or smallest) values; ties broken by the lower index. */
export function topK(values: ArrayLike<number>, k: number, largest = true): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((i, j) => (largest ? values[j]! - values[i]! : values[i]! - values[j]!) || i - j);
  return idx.slice(0, k);
}

export interface ConfidenceComparison {
  n: number;
  spearman: number;
  /** Percentile ranks of each model's confidences (within model). */
  rankA: Float64Array;
  rankB: Float64Array;
  k: number;
  /** |top-k(A) ∩ top-k(B)| / k, and the same for the k least confident. */
  topOverlap: number;
  bottomOverlap: number;
  /** Examples where A is most confident relative to B (rankA − rankB largest), and vice versa. */
  aOverB: { index: number; rankA: number; rankB: number }[];
  bOverA: { index: number; rankA: number; rankB: number }[];
}

/**
 * Compare two models' per-example confidences on the same examples (methods.md §4): percentile
 * ranks within each model (AT confidences are uniformly lower, so raw values are not comparable),
 * Spearman correlation, overlap of the k most and least confident sets, and the `show` examples
 * whose ranks differ most in each direction.
 */
export function compareConfidence(a: ArrayLike<number>, b: ArrayLike<number>, opts: { k?: number; show?: number } = {}): ConfidenceComparison {
  const n = a.length;
  if (b.length !== n || n < 2) throw new ShapeError(`compareConfidence: needs two equal-length samples of size >= 2, got ${a.length} and ${b.length}`);
  const k = opts.k ?? Math.max(1, Math.round(n / 10));
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new ValueError(`compareConfidence: k = ${k} must be an integer in [1, ${n}]`);
  const rankA = percentileRanks(a);
  const rankB = percentileRanks(b);
  const overlap = (largest: boolean): number => {
    const sa = new Set(topK(a, k, largest));
    return topK(b, k, largest).filter((i) => sa.has(i)).length / k;
  };
  const diff = rankA.map((r, i) => r - rankB[i]!);
  const show = Math.min(opts.show ?? 8, n);
  const pick = (largest: boolean) => topK(diff, show, largest).map((index) => ({ index, rankA: rankA[index]!, rankB: rankB[index]! }));
  return { n, spearman: spearman(a, b), rankA, rankB, k, topOverlap: overlap(true), bottomOverlap: overlap(false), aOverB: pick(true), bOverA: pick(false) };
}
