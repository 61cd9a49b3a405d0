import { keep, throttle, tidy } from '../engine.js';
import { noGrad, valueAndGrad } from '../autograd/tape.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { add, eq, mul } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { crossEntropy, oneHotLike } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import { ProgressBar } from './progress.js';

/** One mini-batch: inputs and integer labels (host Int32Array or an int32 tensor [B]). */
export interface Batch {
  x: Tensor;
  y: Int32Array | Tensor;
}

/** Any source of batches: an array, a generator, or an async generator (e.g. a data loader). */
export type BatchSource = Iterable<Batch> | AsyncIterable<Batch>;

/** A differentiable mean loss from logits [B, C] and labels (an int32 tensor [B] on the logits' backend). */
export type LossFn = (logits: Tensor, labels: Tensor, batch: Batch) => Tensor;

export const crossEntropyLoss: LossFn = (logits, labels) => crossEntropy(logits, labels);

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

export interface LoopOptions {
  /** Read the GPU-accumulated loss back every k steps for the progress bar and `onLog` (default 25). */
  logEvery?: number;
  /** No progress bar even on a terminal. */
  quiet?: boolean;
  /** Number of batches, for the progress bar (optional). */
  total?: number;
  /** Progress bar label, e.g. `epoch 3/20`. */
  label?: string;
  /** Called every `logEvery` steps with the running metrics (one readback of two scalars). */
  onLog?: (m: { step: number; loss: number; accuracy: number; samples: number }) => void;
  /** Leave the batch tensors alone (by default the loop disposes each batch after its step). */
  keepBatches?: boolean;
}

export interface TrainOptions extends LoopOptions {
  /** Clip the global gradient norm to this value before each update. */
  clipNorm?: number;
  /** Set `optimizer.lr = lrAt(step)` before each step (step counts from `firstStep`, default 0). */
  lrAt?: (step: number) => number;
  firstStep?: number;
}

/** Labels as an int32 tensor on the logits' backend (uploaded once per batch when given on the host). */
function labelTensor(x: Tensor, y: Int32Array | Tensor): { labels: Tensor; owned: boolean } {
  const B = x.shape[0]!;
  if (y instanceof Int32Array) {
    if (y.length !== B) throw new ShapeError(`trainEpoch: batch has ${B} inputs ${fmtShape(x.shape)} but ${y.length} labels`);
    return { labels: tensor(y, [B], { dtype: 'int32', backend: x.backend }), owned: true };
  }
  if (y.dtype !== 'int32' || y.rank !== 1 || y.shape[0] !== B) {
    throw new ShapeError(`trainEpoch: labels must be int32 [${B}], got ${y.dtype} ${fmtShape(y.shape)}`);
  }
  return { labels: y, owned: false };
}

/** Examples whose true class attains the maximal logit (a one-element tensor; no readback). */
export function countCorrect(logits: Tensor, labels: Tensor): Tensor {
  return noGrad(() =>
    tidy(() => {
      const hit = eq(logits, max(logits, 1, true));
      return sum(mul(oneHotLike(logits, labels, 'countCorrect'), hit));
    }),
  );
}

/** Running sums of loss·B and correct predictions, kept on the device between readbacks. */
class Accumulator {
  loss: Tensor | null = null;
  correct: Tensor | null = null;
  samples = 0;

  add(meanLoss: Tensor, correct: Tensor, batch: number): void {
    const [l, c] = tidy(() => [
      this.loss ? add(this.loss, mul(meanLoss, batch)) : mul(meanLoss, batch),
      this.correct ? add(this.correct, correct) : add(correct, 0),
    ]);
    this.loss?.dispose();
    this.correct?.dispose();
    this.loss = l!;
    this.correct = c!;
    this.samples += batch;
  }

  async read(): Promise<{ loss: number; accuracy: number }> {
    if (!this.loss || !this.correct || this.samples === 0) return { loss: NaN, accuracy: NaN };
    const [l, c] = await Promise.all([this.loss.item(), this.correct.item()]);
    return { loss: l / this.samples, accuracy: c / this.samples };
  }

  dispose(): void {
    this.loss?.dispose();
    this.correct?.dispose();
  }
}

async function* iterate(src: BatchSource): AsyncGenerator<Batch> {
  if (Symbol.asyncIterator in src) yield* src as AsyncIterable<Batch>;
  else yield* src as Iterable<Batch>;
}

function fmtRunning(loss: number, acc: number, samples: number, t0: number): string {
  const s = (performance.now() - t0) / 1000;
  return `loss ${loss.toFixed(4)} acc ${(100 * acc).toFixed(2)}% ${(samples / Math.max(s, 1e-9)).toFixed(0)} samples/s`;
}

/**
 * One pass over `batches`: forward, loss, backward, (clip), update. Per step nothing is read back:
 * the loss and the correct count accumulate on the device and are read every `logEvery` steps and
 * once at the end. The model is put in training mode.
 */
export async function trainEpoch(model: Module, optimizer: Optimizer, batches: BatchSource, lossFn: LossFn = crossEntropyLoss, opts: TrainOptions = {}): Promise<EpochMetrics> {
  const logEvery = opts.logEvery ?? 25;
  if (!(logEvery >= 1)) throw new ValueError(`trainEpoch: logEvery ${logEvery} must be >= 1`);
  model.train();
  const params = model.parameters();
  const acc = new Accumulator();
  const bar = new ProgressBar(opts.label ?? 'train', opts.total, { quiet: opts.quiet });
  const t0 = performance.now();
  let steps = 0;
  try {
    for await (const batch of iterate(batches)) {
      await throttle();
      const { labels, owned } = labelTensor(batch.x, batch.y);
      try {
        if (opts.lrAt) optimizer.lr = opts.lrAt((opts.firstStep ?? 0) + steps);
        let correct: Tensor | null = null;
        const { value, grads } = valueAndGrad(() => {
          const logits = model.forward(batch.x);
          correct = keep(countCorrect(logits, labels));
          return lossFn(logits, labels, batch);
        }, params);
        let update = grads;
        if (opts.clipNorm !== undefined) {
          const c = clipGradNorm(grads, opts.clipNorm);
          c.norm.dispose();
          grads.forEach((g) => g.dispose());
          update = c.grads;
        }
        optimizer.step(params, update);
        update.forEach((g) => g.dispose());
        acc.add(value, correct!, batch.x.shape[0]!);
        value.dispose();
        (correct as Tensor | null)?.dispose();
      } finally {
        releaseBatch(batch, labels, owned, opts.keepBatches);
      }
      steps++;
      await report(steps, logEvery, bar, acc, opts, t0);
    }
    const m = await acc.read();
    const seconds = (performance.now() - t0) / 1000;
    bar.end();
    return { ...m, samples: acc.samples, steps, seconds, samplesPerSecond: acc.samples / seconds };
  } finally {
    bar.end();
    acc.dispose();
  }
}

/** Free a batch's label tensor (if made here) and, unless kept, the batch's own tensors. */
function releaseBatch(batch: Batch, labels: Tensor, owned: boolean, keep: boolean | undefined): void {
  if (owned) labels.dispose();
  if (!keep) {
    batch.x.dispose();
    if (!(batch.y instanceof Int32Array)) batch.y.dispose();
  }
}

/** Every `logEvery` steps, and only if someone looks, read the running metrics back once. */
async function report(steps: number, logEvery: number, bar: ProgressBar, acc: Accumulator, opts: LoopOptions, t0: number): Promise<void> {
  if (steps % logEvery !== 0 || !(bar.active || opts.onLog)) return;
  const m = await acc.read();
  opts.onLog?.({ step: steps, ...m, samples: acc.samples });
  bar.update(steps, fmtRunning(m.loss, m.accuracy, acc.samples, t0));
}

/**
 * Loss (cross-entropy by default) and accuracy over `batches` in eval mode, without gradients;
 * the model's previous mode is restored. Reads back only every `logEvery` steps and at the end.
 */
export async function evaluate(model: Module, batches: BatchSource, opts: LoopOptions & { lossFn?: LossFn } = {}): Promise<EpochMetrics> {
  const logEvery = opts.logEvery ?? 25;
  const lossFn = opts.lossFn ?? crossEntropyLoss;
  const wasTraining = model.training;
  model.eval();
  const acc = new Accumulator();
  const bar = new ProgressBar(opts.label ?? 'eval', opts.total, { quiet: opts.quiet });
  const t0 = performance.now();
  let steps = 0;
  try {
    for await (const batch of iterate(batches)) {
      await throttle();
      const { labels, owned } = labelTensor(batch.x, batch.y);
      try {
        const [loss, correct] = noGrad(() =>
          tidy(() => {
            const logits = model.forward(batch.x);
            return [lossFn(logits, labels, batch), countCorrect(logits, labels)];
          }),
        );
        acc.add(loss!, correct!, batch.x.shape[0]!);
        loss!.dispose();
        correct!.dispose();
      } finally {
        releaseBatch(batch, labels, owned, opts.keepBatches);
      }
      steps++;
      await report(steps, logEvery, bar, acc, opts, t0);
    }
    const m = await acc.read();
    const seconds = (performance.now() - t0) / 1000;
    return { ...m, samples: acc.samples, steps, seconds, samplesPerSecond: acc.samples / seconds };
  } finally {
    bar.end();
    acc.dispose();
    model.train(wasTraining);
  }
}

/** A one-line epoch summary for logs. */
export function formatMetrics(m: EpochMetrics): string {
  return `loss ${m.loss.toFixed(4)}  acc ${(100 * m.accuracy).toFixed(2)}%  ${m.seconds.toFixed(1)} s  ${m.samplesPerSecond.toFixed(0)} samples/s`;
}
