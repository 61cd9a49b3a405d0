import type { SelectOps } from '../select.js';

/** Rearrange v so that v[k] is the k-th smallest and everything left of it is ≤ it (Hoare quickselect). */
function select(v: Float64Array, k: number): number {
  let lo = 0;
  let hi = v.length - 1;
  while (lo < hi) {
    const pivot = v[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i]! < pivot) i++;
      while (v[j]! > pivot) j--;
      if (i <= j) {
        const t = v[i]!;
        v[i] = v[j]!;
        v[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return v[k]!;
}

/**
 * Median of all entries, as numpy's median: for an even count the mean of the two middle values.
 * Used on all n² entries of a distance matrix, diagonal zeros included (methods.md §1.1).
 */
export function fullMedian(d: ArrayLike<number>): number {
  const v = Float64Array.from(d);
  const m = v.length >> 1;
  const upper = select(v, m);
  if (v.length % 2 === 1) return upper;
  // The lower middle value is the largest of the m entries left of position m.
  let lower = -Infinity;
  for (let i = 0; i < m; i++) if (v[i]! > lower) lower = v[i]!;
  return (lower + upper) / 2;
}

/** The float64 oracle of the selection family. */
export const cpuSelect: SelectOps<Float64Array> = {
  median: (x, size) => Float64Array.of(fullMedian(x.subarray(0, size))),
};
