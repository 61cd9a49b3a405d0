import type { LogitOps } from '../logits.js';

/** The float64 oracle of shaders/logits.wgsl, written from the definitions in methods.md §4. */
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
};
