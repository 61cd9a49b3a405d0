/**
 * Scalar summaries of a within-model L × L CKA matrix (methods.md §5.1 [rec]): long-range similarity
 * and block score. NaN entries (dead layers) are left out of every mean.
 */
import { ValueError } from '../errors.js';

type Matrix = readonly (readonly number[])[];

function meanOf(vs: number[]): number {
  const f = vs.filter(Number.isFinite);
  return f.length === 0 ? NaN : f.reduce((a, b) => a + b, 0) / f.length;
}

function square(op: string, m: Matrix): number {
  const L = m.length;
  if (L === 0 || m.some((r) => r.length !== L)) throw new ValueError(`${op}: needs a square L × L matrix (within one model)`);
  return L;
}

/** LR = mean CKA(i, j) over pairs with |i − j| ≥ L/2. */
export function longRangeSimilarity(m: Matrix): number {
  const L = square('longRangeSimilarity', m);
  const vs: number[] = [];
  for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) if (Math.abs(i - j) >= L / 2) vs.push(m[i]![j]!);
  return meanOf(vs);
}

/**
 * Block score = mean CKA inside contiguous bands minus mean CKA across bands (off-diagonal pairs
 * only). `bands` are the first layer index of each band after the first, e.g. [3, 6] for 0–2, 3–5, 6–.
 */
export function blockScore(m: Matrix, bands: readonly number[]): number {
  const L = square('blockScore', m);
  const band = (i: number): number => bands.filter((b) => i >= b).length;
  const inside: number[] = [];
  const across: number[] = [];
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < L; j++) {
      if (i === j) continue;
      (band(i) === band(j) ? inside : across).push(m[i]![j]!);
    }
  }
  return meanOf(inside) - meanOf(across);
}
