/**
 * Rank statistics for comparing two models example by example (methods.md §4): average and
 * percentile ranks, Spearman's correlation, top-k sets and the confidence comparison.
 */
import { ShapeError, ValueError } from '../errors.js';

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
