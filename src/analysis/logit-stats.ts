/**
 * Logit statistics (methods.md §4, paper (d)): per-example max logit, gap, centred max, confidence,
 * entropy and true-class margin, computed on the device by the logitStatistics op (ops/logits.ts)
 * and read to the host as per-example tables.
 */
import { noGrad } from '../autograd/tape.js';
import { LOGIT_STATS, type LogitStatName } from '../types.js';
import type { Batch } from '../data/dataset.js';
import { ValueError, fmtShape } from '../errors.js';
import type { Labels } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { logitStatistics } from '../ops/logits.js';
import { Tensor } from '../tensor.js';

export { LOGIT_STATS, type LogitStatName };
export { logitStatistics };

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
export async function collectLogitStats(model: Module, batches: Iterable<Batch> | AsyncIterable<Batch>): Promise<LogitStatsTable> {
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
