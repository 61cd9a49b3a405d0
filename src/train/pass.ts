/**
 * The one loop over batches (fit.ts runs it once per epoch). Per step it throttles, sets the
 * learning rate, lets the step prepare (attacks, targets), records the step's loss on the gradient
 * tape, optionally clips, updates, and adds the loss, the step's counts and Σ‖g‖² into sums that stay
 * on the device: nothing is read back per step, only every `logEvery` steps when someone looks
 * (a progress bar on a terminal, `onLog`) and once at the end.
 */
import { noGrad, valueAndGrad } from '../autograd/tape.js';
import type { Batch, BatchSource } from '../data/dataset.js';
import { keep, throttle, tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { add, mul, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import { DeviceSums } from './device-sums.js';
import { ProgressBar } from './progress.js';
import type { StepContext, Tally, TrainStep } from './step.js';

type Sum = 'loss' | Tally | 'gradSq';

export interface PassOptions {
  /** Names the caller in errors; the default progress label. */
  name?: string;
  /** The optimizer to update with; without one the pass evaluates (eval mode, no tape, no update). */
  optimizer?: Optimizer;
  /** The epoch the steps see (default 1). */
  epoch?: number;
  /** Clip the global gradient norm to this value before each update. */
  clipNorm?: number;
  /** Set `optimizer.lr = lrAt(step)` before each step (step counts from `firstStep`, default 0). */
  lrAt?: (step: number) => number;
  firstStep?: number;
  /** Also sum Σ_params ‖∂L/∂θ‖² per step (before clipping) for `gradSqNorm`. */
  trackGradNorm?: boolean;
  /** The loss reported: 'example' (default) the mean per example, 'batch' the mean of the batch means. */
  lossMean?: 'example' | 'batch';
  /** Read the running metrics back every k steps for the progress bar and `onLog` (default 25). */
  logEvery?: number;
  /** No progress bar even on a terminal. */
  quiet?: boolean;
  /** Number of batches, for the progress bar (optional). */
  total?: number;
  /** Progress bar label, e.g. `epoch 3/20`. */
  label?: string;
  /** Called every `logEvery` steps with the running metrics (one readback of two scalars). */
  onLog?: (m: { step: number; loss: number; accuracy: number; samples: number }) => void;
  /** Called after each step with its mean loss (a tensor valid during the call only). */
  onStep?: (s: { index: number; loss: Tensor }) => void | Promise<void>;
  /** Dispose each batch's tensors after its step (default false: they stay the caller's). */
  disposeBatches?: boolean;
}

export interface PassMetrics {
  /** Mean loss per example, or per batch with `lossMean: 'batch'`. */
  loss: number;
  /** Fraction of examples counted correct on the clean inputs (NaN when the step counts none). */
  accuracy: number;
  /** Fraction counted correct on the adversarial inputs (null when the step counts none). */
  robustAccuracy: number | null;
  /** Σ_params ‖∂L/∂θ‖², averaged over the steps (null unless `trackGradNorm`). */
  gradSqNorm: number | null;
  samples: number;
  steps: number;
  seconds: number;
  samplesPerSecond: number;
}

async function* iterate<B>(src: BatchSource<B>): AsyncGenerator<B> {
  if (Symbol.asyncIterator in src) yield* src as AsyncIterable<B>;
  else yield* src as Iterable<B>;
}

/** Free a batch's own tensors (inputs, and labels given as a tensor). */
function releaseBatch(batch: Pick<Batch, 'x'>): void {
  batch.x.dispose();
  const y = (batch as Partial<Batch>).y;
  if (y !== undefined && !(y instanceof Int32Array)) y.dispose();
}

/**
 * One pass of `step` over `batches`; see the file comment. With an optimizer the model trains
 * (training mode for every step's loss); without one it is evaluated in eval mode and its previous
 * mode is restored.
 */
export async function runPass<B extends Pick<Batch, 'x'>, P>(model: Module, batches: BatchSource<B>, step: TrainStep<B, P>, opts: PassOptions = {}): Promise<PassMetrics> {
  const name = opts.name ?? 'train';
  const logEvery = opts.logEvery ?? 25;
  if (!(logEvery >= 1)) throw new ValueError(`${name}: logEvery ${logEvery} must be >= 1`);
  const optimizer = opts.optimizer ?? null;
  const wasTraining = model.training;
  model.train(optimizer !== null);
  const params = optimizer ? model.parameters() : [];
  const sums = new DeviceSums<Sum>();
  const bar = new ProgressBar(opts.label ?? name, opts.total, { quiet: opts.quiet });
  const t0 = performance.now();
  let steps = 0;
  let samples = 0;
  const perBatch = opts.lossMean === 'batch';
  const running = async (keys: readonly Sum[]) => {
    const s = await sums.read(keys);
    return { s, loss: s.loss / (perBatch ? steps : samples), rate: (k: Sum) => s[k] / samples };
  };
  try {
    for await (const batch of iterate(batches)) {
      await throttle();
      try {
        if (optimizer && opts.lrAt) optimizer.lr = opts.lrAt((opts.firstStep ?? 0) + steps);
        const loss = await takeStep(model, optimizer, params, step, batch, { epoch: opts.epoch ?? 1, index: steps }, sums, opts);
        try {
          await opts.onStep?.({ index: steps, loss });
        } catch (e) {
          loss.dispose();
          throw e;
        }
        const B = batch.x.shape[0]!;
        if (perBatch) sums.add('loss', loss);
        else {
          sums.add('loss', tidy(() => mul(loss, B)));
          loss.dispose();
        }
        samples += B;
      } finally {
        if (opts.disposeBatches) releaseBatch(batch);
      }
      steps++;
      // Every logEvery steps, and only if someone looks, read the running metrics back once.
      if (steps % logEvery === 0 && (bar.active || opts.onLog)) {
        const r = await running(['loss', 'correct']);
        opts.onLog?.({ step: steps, loss: r.loss, accuracy: r.rate('correct'), samples });
        const s = (performance.now() - t0) / 1000;
        bar.update(steps, `loss ${r.loss.toFixed(4)} acc ${(100 * r.rate('correct')).toFixed(2)}% ${(samples / Math.max(s, 1e-9)).toFixed(0)} samples/s`);
      }
    }
    const r = await running(['loss', 'correct', 'robustCorrect', 'gradSq']);
    const seconds = (performance.now() - t0) / 1000;
    bar.end();
    return {
      loss: r.loss, accuracy: r.rate('correct'),
      robustAccuracy: sums.has('robustCorrect') ? r.rate('robustCorrect') : null,
      gradSqNorm: sums.has('gradSq') ? r.s.gradSq / steps : null,
      samples, steps, seconds, samplesPerSecond: samples / seconds,
    };
  } finally {
    bar.end();
    sums.dispose();
    if (!optimizer) model.train(wasTraining);
  }
}

/**
 * One step: prepare, the loss (on the tape when training), Σ‖g‖², clipping, the update, and the
 * step's counts into `sums`. Returns the mean loss (the caller owns it).
 */
async function takeStep<B, P>(
  model: Module, optimizer: Optimizer | null, params: Tensor[], step: TrainStep<B, P>, batch: B,
  at: { epoch: number; index: number }, sums: DeviceSums<Sum>, opts: PassOptions,
): Promise<Tensor> {
  const tallies: [Tally, Tensor][] = [];
  const ctx: StepContext = { model, ...at, tally: (kind, count) => void tallies.push([kind, keep(count)]) };
  try {
    const prepared = step.prepare ? await step.prepare(batch, ctx) : (undefined as P);
    let loss: Tensor;
    try {
      if (!optimizer) loss = noGrad(() => tidy(() => step.loss(batch, prepared, ctx)));
      else {
        model.train();
        const { value, grads } = valueAndGrad(() => step.loss(batch, prepared, ctx), params);
        loss = value;
        try {
          update(optimizer, params, grads, sums, opts);
        } catch (e) {
          value.dispose();
          throw e;
        }
      }
    } finally {
      step.release?.(prepared);
    }
    for (const [kind, count] of tallies.splice(0)) sums.add(kind, count);
    return loss;
  } finally {
    for (const [, count] of tallies) count.dispose();
  }
}

/** Σ‖g‖² (when tracked), clipping, the optimizer's update; frees the gradients. */
function update(optimizer: Optimizer, params: Tensor[], grads: Tensor[], sums: DeviceSums<Sum>, opts: PassOptions): void {
  let applied = grads;
  try {
    if (opts.trackGradNorm) sums.add('gradSq', noGrad(() => tidy(() => grads.map((g) => sum(square(g))).reduce((a, b) => add(a, b)))));
    if (opts.clipNorm !== undefined) {
      const c = clipGradNorm(grads, opts.clipNorm);
      c.norm.dispose();
      applied = c.grads;
    }
    optimizer.step(params, applied);
  } finally {
    grads.forEach((g) => g.dispose());
    if (applied !== grads) applied.forEach((g) => g.dispose());
  }
}
