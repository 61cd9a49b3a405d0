/**
 * The contract between the one training loop (pass.ts, fit.ts) and the steps that plug into it:
 * standard training, PGD-AT, fast FGSM, TRADES (with or without temporal ensembling) and
 * distillation. A step says what one batch costs; the loop does the rest (throttling, the gradient
 * tape, clipping, the update, on-device sums, readbacks, schedules, evaluation, snapshots).
 */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';

/** The counts a step may hand to the loop; `correct` on the clean inputs, `robustCorrect` on adversarial ones. */
export type Tally = 'correct' | 'robustCorrect';

/** What a step sees of the run besides its batch. */
export interface StepContext {
  readonly model: Module;
  /** The epoch, from 1 (1 for a single pass). */
  readonly epoch: number;
  /** Steps taken before this one in the current pass (0 for the first). */
  readonly index: number;
  /**
   * Hand the loop a device count (a one-element tensor, e.g. of correct predictions) to sum over the
   * pass; the loop owns it from then on, so it may be made inside a tidy scope or the gradient tape.
   */
  tally(kind: Tally, count: Tensor): void;
}

/**
 * One training step on a batch of type B. `prepare` runs first, outside the gradient tape (attacks,
 * soft targets, teacher logits; it may await readbacks; if it fails it frees its own work); `loss`
 * runs inside the tape with the model in training mode and returns the mean loss to descend;
 * `release` frees what `prepare` made, after the update or when the loss or the update fails.
 * Without an optimizer (evaluation) `loss` runs without a tape, the model in eval mode.
 */
export interface TrainStep<B, P = void> {
  prepare?(batch: B, ctx: StepContext): P | Promise<P>;
  loss(batch: B, prepared: P, ctx: StepContext): Tensor;
  release?(prepared: P): void;
}
