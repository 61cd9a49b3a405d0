import { tidy } from '../engine.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { add, affine, exp, mul, neg, relu, square, sub } from '../ops/elementwise.js';
import { gather } from '../ops/layout.js';
import { max, mean, sum } from '../ops/reduce.js';
import { logSoftmax } from '../ops/softmax.js';
import { softmaxCrossEntropy } from '../ops/logits.js';
import type { Tensor } from '../tensor.js';

/** Labels as given by callers: an int32 tensor of shape [B], or host integers. */
export type Labels = Tensor | ArrayLike<number>;

/** One-hot rows [B, C] for labels, built on the logits' backend (a gather from the identity). */
export function oneHotLike(logits: Tensor, labels: Labels, op = 'oneHot'): Tensor {
  if (logits.rank !== 2) throw new ShapeError(`${op}: logits must be [batch, classes], got ${fmtShape(logits.shape)}`);
  const [B, C] = logits.shape as [number, number];
  return tidy(() => {
    let idx: Tensor;
    if (labels instanceof Object && 'dtype' in labels) {
      idx = labels as Tensor;
      if (idx.dtype !== 'int32' || idx.rank !== 1 || idx.shape[0] !== B) {
        throw new ShapeError(`${op}: labels must be int32 [${B}], got ${idx.dtype} ${fmtShape(idx.shape)}`);
      }
    } else {
      const l = labels as ArrayLike<number>;
      if (l.length !== B) throw new ShapeError(`${op}: ${l.length} labels for a batch of ${B}`);
      for (let i = 0; i < l.length; i++) {
        const y = l[i]!;
        if (!Number.isInteger(y) || y < 0 || y >= C) throw new ValueError(`${op}: label ${y} at index ${i} is outside [0, ${C})`);
      }
      idx = tensor(l, [B], { dtype: 'int32', backend: logits.backend });
    }
    const eye = new Float64Array(C * C);
    for (let i = 0; i < C; i++) eye[i * C + i] = 1;
    return gather(tensor(eye, [C, C], { backend: logits.backend }), idx, 0);
  });
}

export interface CrossEntropyOptions {
  /** Mix the one-hot target with the uniform distribution: (1 − s)·onehot + s/C. */
  labelSmoothing?: number;
  /** 'mean' (default) over the batch, 'sum', or 'none' for per-example losses [B]. */
  reduction?: 'mean' | 'sum' | 'none';
}

function reduce(x: Tensor, r: 'mean' | 'sum' | 'none' = 'mean'): Tensor {
  return r === 'none' ? x : r === 'sum' ? sum(x) : mean(x);
}

/** Softmax cross-entropy from logits [B, C]: −Σ_c t_c log softmax(z)_c, stable via log-sum-exp (one kernel each way). */
export function crossEntropy(logits: Tensor, labels: Labels, opts: CrossEntropyOptions = {}): Tensor {
  const s = opts.labelSmoothing ?? 0;
  if (!(s >= 0 && s < 1)) throw new ValueError(`crossEntropy: labelSmoothing ${s} must be in [0, 1)`);
  if (logits.dtype !== 'float32') throw new DTypeError(`crossEntropy: logits must be float32, got ${logits.dtype} ${fmtShape(logits.shape)}`);
  return tidy(() => {
    const C = logits.shape[1]!;
    let target = oneHotLike(logits, labels, 'crossEntropy');
    if (s > 0) target = affine(target, 1 - s, s / C);
    return reduce(softmaxCrossEntropy(logits, target), opts.reduction);
  });
}

/** Cross-entropy against soft targets [B, C] (rows summing to 1), e.g. a teacher's softmax. */
export function softCrossEntropy(logits: Tensor, target: Tensor, reduction: 'mean' | 'sum' | 'none' = 'mean'): Tensor {
  return tidy(() => reduce(softmaxCrossEntropy(logits, target), reduction));
}

/**
 * KL(p ‖ q) with p = softmax(pLogits), q = softmax(qLogits), per example summed over classes:
 * Σ_c p_c (log p_c − log q_c). 'sum' matches PyTorch's KLDivLoss(size_average=False) used by TRADES;
 * 'batchmean' divides by the batch size.
 */
export function klDivergence(pLogits: Tensor, qLogits: Tensor, reduction: 'sum' | 'batchmean' | 'none' = 'batchmean'): Tensor {
  if (pLogits.shape.join() !== qLogits.shape.join()) throw new ShapeError(`klDivergence: logits ${fmtShape(pLogits.shape)} and ${fmtShape(qLogits.shape)} differ`);
  return tidy(() => {
    const lp = logSoftmax(pLogits, 1);
    const perExample = sum(mul(exp(lp), sub(lp, logSoftmax(qLogits, 1))), 1);
    if (reduction === 'none') return perExample;
    const total = sum(perExample);
    return reduction === 'sum' ? total : mul(total, 1 / pLogits.shape[0]!);
  });
}

/** Mean squared error over all entries. */
export function mse(a: Tensor, b: Tensor, reduction: 'mean' | 'sum' | 'none' = 'mean'): Tensor {
  return tidy(() => reduce(square(sub(a, b)), reduction));
}

/**
 * The Carlini–Wagner margin loss as attackers maximise it: max_{j≠y} z_j − z_y, clamped below at
 * −κ (methods.md §2.2: L_CW = −max(z_y − max_{j≠y} z_j + κ, 0)). The true class is masked with −1e4.
 */
export function cwLoss(logits: Tensor, labels: Labels, opts: { kappa?: number; reduction?: 'mean' | 'sum' | 'none' } = {}): Tensor {
  const kappa = opts.kappa ?? 50;
  return tidy(() => {
    const onehot = oneHotLike(logits, labels, 'cwLoss');
    const correct = sum(mul(onehot, logits), 1);
    const wrong = max(add(logits, affine(onehot, -1e4)), 1);
    const perExample = neg(relu(add(sub(correct, wrong), kappa)));
    return reduce(perExample, opts.reduction);
  });
}
