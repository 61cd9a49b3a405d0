/** Summaries and shared-bin histograms of per-example logit statistics, in JS float64 on the host (methods.md §4). */
import type { LogitStatName } from '../types.js';
import { ValueError } from '../errors.js';
import type { LogitStatsTable } from './logit-stats.js';

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
