/**
 * Per-example logit statistics (methods.md §4) as a tensor op: max logit, gap, centred max,
 * confidence, entropy, true-class margin and argmax in one kernel (shaders/logits.wgsl; float64
 * oracle in backend/cpu/logits.ts). No gradient: the statistics are read, not trained on.
 */
import { LOGIT_STATS } from '../types.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import { tensor } from './creation.js';
import { requireFloat, wrap } from './util.js';

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
