/**
 * Single passes of standard training and evaluation over batches, on the one loop (pass.ts):
 * `trainEpoch` (forward, loss, backward, optional clipping, update) and `evaluate` (loss and accuracy
 * in eval mode, no gradients). Per step nothing is read back: the loss and the correct count stay on
 * the device and are read every `logEvery` steps (when someone looks) and once at the end.
 */
import type { BatchSource } from '../data/dataset.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { runPass, type PassMetrics, type PassOptions } from './pass.js';
import { standardStep, type LossFn } from './standard.js';

export interface EpochMetrics {
  /** Mean loss per example. */
  loss: number;
  /** Fraction of examples whose true class has the largest logit. */
  accuracy: number;
  samples: number;
  steps: number;
  seconds: number;
  samplesPerSecond: number;
}

/** Progress and logging of a pass (see PassOptions), and `keepBatches`. */
export interface LoopOptions extends Pick<PassOptions, 'logEvery' | 'quiet' | 'total' | 'label' | 'onLog'> {
  /** Leave the batch tensors alone (by default the loop disposes each batch after its step). */
  keepBatches?: boolean;
}

/** LoopOptions, gradient clipping and a per-step learning rate (see PassOptions). */
export interface TrainOptions extends LoopOptions, Pick<PassOptions, 'clipNorm' | 'lrAt' | 'firstStep'> {}

const epochMetrics = (m: PassMetrics): EpochMetrics => ({ loss: m.loss, accuracy: m.accuracy, samples: m.samples, steps: m.steps, seconds: m.seconds, samplesPerSecond: m.samplesPerSecond });

const passOptions = (name: string, label: string, o: LoopOptions): PassOptions => ({
  name, label: o.label ?? label, logEvery: o.logEvery, quiet: o.quiet, total: o.total, onLog: o.onLog, disposeBatches: !o.keepBatches,
});

/** One pass of standard training over `batches` (cross-entropy by default); the model is put in training mode. */
export async function trainEpoch(model: Module, optimizer: Optimizer, batches: BatchSource, lossFn?: LossFn, opts: TrainOptions = {}): Promise<EpochMetrics> {
  const step = standardStep({ op: 'trainEpoch', loss: lossFn });
  return epochMetrics(await runPass(model, batches, step, { ...passOptions('trainEpoch', 'train', opts), optimizer, clipNorm: opts.clipNorm, lrAt: opts.lrAt, firstStep: opts.firstStep }));
}

/** Loss (cross-entropy by default) and accuracy over `batches` in eval mode, without gradients; the model's previous mode is restored. */
export async function evaluate(model: Module, batches: BatchSource, opts: LoopOptions & { lossFn?: LossFn } = {}): Promise<EpochMetrics> {
  return epochMetrics(await runPass(model, batches, standardStep({ op: 'evaluate', loss: opts.lossFn }), passOptions('evaluate', 'eval', opts)));
}

/** A one-line epoch summary for logs. */
export function formatMetrics(m: EpochMetrics): string {
  return `loss ${m.loss.toFixed(4)}  acc ${(100 * m.accuracy).toFixed(2)}%  ${m.seconds.toFixed(1)} s  ${m.samplesPerSecond.toFixed(0)} samples/s`;
}
