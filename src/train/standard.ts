import { ShapeError, fmtShape } from '../errors.js';
import type { Batch } from '../data/dataset.js';
import { crossEntropy } from '../nn/losses.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { countArgmaxCorrect, countCorrect } from './correct.js';
import type { TrainStep } from './step.js';

/** A differentiable mean loss from logits [B, C] and labels (an int32 tensor [B] on the logits' backend). */
export type LossFn = (logits: Tensor, labels: Tensor, batch: Batch) => Tensor;

export const crossEntropyLoss: LossFn = (logits, labels) => crossEntropy(logits, labels);

/** Labels as an int32 tensor on the inputs' backend (uploaded once per batch when given on the host). */
export function labelTensor(op: string, x: Tensor, y: Int32Array | Tensor): { labels: Tensor; owned: boolean } {
  const B = x.shape[0]!;
  if (y instanceof Int32Array) {
    if (y.length !== B) throw new ShapeError(`${op}: batch has ${B} inputs ${fmtShape(x.shape)} but ${y.length} labels`);
    return { labels: tensor(y, [B], { dtype: 'int32', backend: x.backend }), owned: true };
  }
  if (y.dtype !== 'int32' || y.rank !== 1 || y.shape[0] !== B) {
    throw new ShapeError(`${op}: labels must be int32 [${B}], got ${y.dtype} ${fmtShape(y.shape)}`);
  }
  return { labels: y, owned: false };
}

export interface StandardStepOptions {
  /** Names the caller in errors (default 'train'). */
  op?: string;
  /** Default cross-entropy. */
  loss?: LossFn;
  /** How correct predictions are counted: 'ties' (default; a tie for the maximum counts) or 'argmax' (first maximum). */
  count?: 'ties' | 'argmax';
}

/** Standard training (or evaluation): the loss of the model's logits on the clean batch. */
export function standardStep(opts: StandardStepOptions = {}): TrainStep<Batch, { labels: Tensor; owned: boolean }> {
  const op = opts.op ?? 'train';
  const lossFn = opts.loss ?? crossEntropyLoss;
  const count = opts.count === 'argmax' ? countArgmaxCorrect : countCorrect;
  return {
    prepare: (batch) => labelTensor(op, batch.x, batch.y),
    loss(batch, { labels }, ctx) {
      const logits = ctx.model.forward(batch.x);
      ctx.tally('correct', count(logits, labels));
      return lossFn(logits, labels, batch);
    },
    release: ({ labels, owned }) => {
      if (owned) labels.dispose();
    },
  };
}
