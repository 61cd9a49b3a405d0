import type { LogitOps } from '../logits.js';

/** The shift and Σ exp(z − shift) of one row: the max, or 0 where the max is ±Inf (PyTorch's logsumexp). */
function rowLse(row: Float64Array): { shift: number; se: number } {
  const m = row.reduce((a, v) => (Number.isNaN(a) || Number.isNaN(v) ? NaN : Math.max(a, v)), -Infinity);
  const shift = Math.abs(m) === Infinity ? 0 : m;
  return { shift, se: row.reduce((a, v) => a + Math.exp(v - shift), 0) };
}

/**
 * The float64 oracles of shaders/logits.wgsl, written from the definitions in methods.md §4, and of
 * shaders/loss.wgsl, written as −Σ t · log softmax(z) with the max shift.
 */
export const cpuLogits: LogitOps<Float64Array> = {
  logitStats(z, labels, rows, classes) {
    const out = new Float64Array(rows * 7);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(z.subarray(r * classes, (r + 1) * classes));
      // Sorted copy (descending): z_(1), z_(2), ...
      const sorted = [...row].sort((a, b) => b - a);
      const m = sorted[0]!;
      const arg = row.indexOf(m);
      const mean = row.reduce((a, b) => a + b, 0) / classes;
      const se = row.reduce((a, v) => a + Math.exp(v - m), 0);
      const p = row.map((v) => Math.exp(v - m) / se);
      const entropy = p.reduce((a, pi) => a - (pi > 0 ? pi * Math.log(pi) : 0), 0);
      let margin = 0;
      if (labels && classes > 1) {
        const y = labels[r]!;
        margin = row[y]! - Math.max(...row.filter((_, j) => j !== y));
      }
      out.set([m, classes > 1 ? m - sorted[1]! : 0, m - mean, p[arg]!, entropy, margin, arg], r * 7);
    }
    return out;
  },

  labelHits(z, labels, rows, classes, argmax) {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(z.subarray(r * classes, (r + 1) * classes));
      const y = labels[r]!;
      if (!(y >= 0 && y < classes)) continue;
      const firstNan = row.findIndex(Number.isNaN);
      const m = Math.max(...row); // NaN when the row holds one
      out[r] = Number(argmax ? (firstNan >= 0 ? firstNan : row.indexOf(m)) === y : row[y] === m);
    }
    return out;
  },

  softmaxCrossEntropy(z, t, rows, classes) {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const row = z.subarray(r * classes, (r + 1) * classes);
      const { shift, se } = rowLse(row);
      const lse = Math.log(se) + shift;
      let loss = 0;
      for (let c = 0; c < classes; c++) loss -= t[r * classes + c]! * (row[c]! - lse);
      out[r] = loss;
    }
    return out;
  },

  softmaxCrossEntropyBackward(z, t, gy, rows, classes) {
    const out = new Float64Array(rows * classes);
    for (let r = 0; r < rows; r++) {
      const row = z.subarray(r * classes, (r + 1) * classes);
      const { shift, se } = rowLse(row);
      let st = 0;
      for (let c = 0; c < classes; c++) st += t[r * classes + c]!;
      for (let c = 0; c < classes; c++) out[r * classes + c] = gy[r]! * ((Math.exp(row[c]! - shift) / se) * st - t[r * classes + c]!);
    }
    return out;
  },
};
