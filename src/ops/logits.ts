/**
 * Ops on logit rows, each one kernel (float64 oracles in backend/cpu/logits.ts):
 *  - per-example logit statistics (methods.md §4): max logit, gap, centred max, confidence,
 *    entropy, true-class margin and argmax (shaders/logits.wgsl). No gradient: the statistics are
 *    read, not trained on;
 *  - which examples' labels are their predictions (shaders/logits.wgsl), for the correct counts;
 *  - softmax cross-entropy against target rows, forward and backward (shaders/loss.wgsl).
 */
import { LOGIT_STATS } from '../types.js';
import { record, type VjpTable } from '../autograd/tape.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import { tensor } from './creation.js';
import { mul, sub } from './elementwise.js';
import { logsumexp } from './reduce.js';
import { reshape } from './layout.js';
import { backendOf, requireFloat, sameShape, wrap } from './util.js';

/** Labels: an int32 tensor [B] or host integers. */
type Labels = Tensor | ArrayLike<number>;

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

/**
 * 1 where an example's label is its prediction, else 0, as [B] float32 (no gradient): with 'max'
 * the label's logit equals the row maximum (ties count; a row holding NaN never does), with
 * 'argmax' the label is the row's first maximum (its first NaN where it has one, as argmax). Host
 * labels are checked; a label tensor's values outside [0, C) are never hits.
 */
export function labelHits(logits: Tensor, labels: Labels, rule: 'max' | 'argmax'): Tensor {
  requireFloat('labelHits', logits);
  if (logits.rank !== 2) throw new ShapeError(`labelHits: logits must be [batch, classes], got ${fmtShape(logits.shape)}`);
  const [B, C] = logits.shape as [number, number];
  const { t, own } = labelTensor('labelHits', logits, labels);
  const be = logits.backend;
  const out = wrap([B], 'float32', be, be.labelHits(logits.storage('labelHits'), t!.storage('labelHits'), B, C, rule === 'argmax'));
  if (own) t!.dispose();
  return out;
}

interface CeGeom { rows: number; classes: number }

// dz from the backward kernel; dt = gy · (lse − z) from ops, for the rare caller that
// differentiates through its targets.
const ceVjp = {
  softmaxCrossEntropy: (g, [z, t], _y, p: CeGeom, needs) => {
    const be = g.backend;
    const dz = needs[0]
      ? wrap(z!.shape, 'float32', be, be.softmaxCrossEntropyBackward(z!.storage('softmaxCrossEntropy backward'), t!.storage('softmaxCrossEntropy backward'), g.storage('softmaxCrossEntropy backward'), p.rows, p.classes))
      : null;
    const dt = needs[1] ? mul(reshape(g, [p.rows, 1]), sub(logsumexp(z!, 1, true), z!)) : null;
    return [dz, dt];
  },
} satisfies VjpTable<'softmaxCrossEntropy'>;

/**
 * Per-example softmax cross-entropy −Σ_c t_c · log softmax(z)_c of logits z [B, C] against targets
 * t [B, C] (one-hot, smoothed or soft), as [B], in one kernel each way. The log-sum-exp shifts by
 * the row max (by 0 where that is ±Inf, as PyTorch), so any logit scale is stable.
 */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  requireFloat('softmaxCrossEntropy', logits, targets);
  const be = backendOf('softmaxCrossEntropy', logits, targets);
  if (logits.rank !== 2) throw new ShapeError(`softmaxCrossEntropy: logits must be [batch, classes], got ${fmtShape(logits.shape)}`);
  if (!sameShape(logits.shape, targets.shape)) {
    throw new ShapeError(`softmaxCrossEntropy: targets ${fmtShape(targets.shape)} must have the logits' shape ${fmtShape(logits.shape)} (one row per example)`);
  }
  const [rows, classes] = logits.shape as [number, number];
  const s = be.softmaxCrossEntropy(logits.storage('softmaxCrossEntropy'), targets.storage('softmaxCrossEntropy'), rows, classes);
  const out = wrap([rows], 'float32', be, s);
  record('softmaxCrossEntropy', ceVjp.softmaxCrossEntropy, [logits, targets], out, { rows, classes });
  return out;
}
