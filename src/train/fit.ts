/**
 * The epochs around the one pass (pass.ts): a learning rate per epoch, the caller's per-epoch
 * evaluation and log entry, the best and last states as device copies, and checkpoint callbacks.
 */
import type { Batch, BatchSource } from '../data/dataset.js';
import { keep } from '../engine.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { wrap } from '../ops/util.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import { runPass, type PassMetrics, type PassOptions } from './pass.js';
import type { TrainStep } from './step.js';

/** An epoch's pass is over: what the caller's `summarize` gets to evaluate and describe it. */
export interface EpochDone {
  /** From 1. */
  epoch: number;
  lr: number;
  train: PassMetrics;
  /** Seconds since the epoch began (its pass and whatever evaluation ran so far). */
  seconds(): number;
}

export interface StateSnapshot<L> {
  epoch: number;
  log: L;
  /** Copies of the model's named parameters and buffers at that epoch (owned by the result). */
  state: [string, Tensor][];
}

export interface FitOptions<L> extends Omit<PassOptions, 'optimizer' | 'epoch' | 'label'> {
  epochs: number;
  /** Learning rate per epoch (1..E), set before the epoch's pass. */
  lr?: (epoch: number) => number;
  /** After each pass: the per-epoch evaluation and the epoch's log entry. */
  summarize: (e: EpochDone) => L | Promise<L>;
  /**
   * The key that ranks epochs for the best snapshot, compared element by element (higher is
   * better; a tie or NaN is not better). Without it no best state is kept.
   */
  rank?: (log: L) => readonly number[];
  onEpoch?: (log: L) => void;
  /** Called after each epoch with the last state, and when a new best appears. */
  onCheckpoint?: (kind: 'best' | 'last', epoch: number, state: [string, Tensor][], log: L) => void | Promise<void>;
}

export interface FitResult<L> {
  log: L[];
  best: StateSnapshot<L> | null;
  last: StateSnapshot<L> | null;
  dispose(): void;
}

/** A device copy of a parameter or buffer (any dtype). */
const copyOf = (t: Tensor): Tensor =>
  wrap(t.shape, t.dtype, t.backend, t.backend.readView(t.storage('snapshot'), { shape: [t.size], strides: [1], offset: 0 }));

function snapshot<L>(model: Module, epoch: number, log: L): StateSnapshot<L> {
  const state: [string, Tensor][] = [...model.namedParameters(), ...model.namedBuffers()].map(([n, t]) => [n, keep(copyOf(t))]);
  return { epoch, log, state };
}

const release = (s: StateSnapshot<unknown> | null): void => s?.state.forEach(([, t]) => t.dispose());

function better(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return true;
    if (a[i] !== b[i]) return false;
  }
  return false;
}

/** Train for `opts.epochs` epochs of `step` over `data(epoch)`, keeping the last and (with `rank`) the best state. */
export async function fit<B extends Pick<Batch, 'x'>, P, L>(
  model: Module, optimizer: Optimizer, data: (epoch: number) => BatchSource<B>, step: TrainStep<B, P>, opts: FitOptions<L>,
): Promise<FitResult<L>> {
  const name = opts.name ?? 'fit';
  const E = opts.epochs;
  if (!(Number.isInteger(E) && E >= 1)) throw new ValueError(`${name}: epochs ${E} must be an integer >= 1`);
  const log: L[] = [];
  let best: StateSnapshot<L> | null = null;
  let last: StateSnapshot<L> | null = null;
  let stepsDone = 0;
  try {
    for (let epoch = 1; epoch <= E; epoch++) {
      const t0 = performance.now();
      if (opts.lr) optimizer.lr = opts.lr(epoch);
      // A per-step schedule (lrAt) counts steps across epochs.
      const firstStep = (opts.firstStep ?? 0) + stepsDone;
      const train = await runPass(model, data(epoch), step, { ...opts, name, optimizer, epoch, firstStep, label: `epoch ${epoch}/${E}` });
      if (train.steps === 0) throw new ValueError(`${name}: epoch ${epoch} had no training batches`);
      stepsDone += train.steps;
      const entry = await opts.summarize({ epoch, lr: optimizer.lr, train, seconds: () => (performance.now() - t0) / 1000 });
      log.push(entry);
      opts.onEpoch?.(entry);
      release(last);
      last = snapshot(model, epoch, entry);
      await opts.onCheckpoint?.('last', epoch, last.state, entry);
      if (opts.rank && (best === null || better(opts.rank(entry), opts.rank(best.log)))) {
        release(best);
        best = snapshot(model, epoch, entry);
        await opts.onCheckpoint?.('best', epoch, best.state, entry);
      }
    }
  } catch (e) {
    release(best);
    release(last);
    throw e;
  }
  return {
    log, best, last,
    dispose() {
      release(best);
      release(last);
    },
  };
}
