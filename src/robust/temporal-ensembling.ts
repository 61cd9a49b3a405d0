/**
 * Temporal ensembling (methods.md §3.4, (c) `loss.py` + `train_te.py`): per example, an exponential
 * moving average of the model's clean softmax over the epochs (S, zero-initialised, renormalised
 * into targets T), and a ramped weight w_e = λ_max·r(e) on an MSE between the softmax and T, added
 * to the inner attack's objective and to the outer loss of PGD-AT and TRADES.
 */
import { noGrad } from '../autograd/tape.js';
import type { Batch } from '../data/dataset.js';
import { tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { tensor } from '../ops/creation.js';
import { mul, square, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { softmax } from '../ops/softmax.js';
import type { Tensor } from '../tensor.js';
import { inEvalMode } from './pgd.js';

/**
 * Temporal ensembling (methods.md §3.4); start/end default to 0.45·E and 0.75·E (§7). Epochs count
 * from 1 (train_te.py), so E = 200 gives the paper's 90 and 150.
 */
export interface TeOptions {
  /** α_TE, default 0.9. */
  momentum?: number;
  /** λ_max, default 300. */
  lambdaMax?: number;
  startEpoch?: number;
  endEpoch?: number;
  /** Training-set size N: rows of the ensemble state S (batches must carry `idx`). */
  numExamples: number;
}

/**
 * The TE ramp r(e) of methods.md §3.4 with the ramp placed at [start, end]:
 * 0 before start, 1 after end, exp(−5·(1 − (e − start)/(end − start))²) in between.
 */
export function teRamp(e: number, start = 90, end = 150): number {
  if (e < start) return 0;
  if (e > end) return 1;
  const t = 1 - (e - start) / (end - start);
  return Math.exp(-5 * t * t);
}

/** The ramp's window for an epoch budget E (§7: 0.45·E to 0.75·E). */
export const teWindow = (epochs: number): { start: number; end: number } => ({ start: 0.45 * epochs, end: 0.75 * epochs });

/** Temporal-ensembling state: S ∈ R^{N×C} on the host, zero-initialised (methods.md §3.4). */
export class EnsembleState {
  private s: Float64Array | null = null;
  constructor(readonly n: number, readonly momentum: number) {}
  /** S[idx] ← m·S[idx] + (1 − m)·p; returns T = S[idx]/rowsum as [B, C] values. */
  update(idx: Int32Array, p: ArrayLike<number>, C: number): Float64Array {
    this.s ??= new Float64Array(this.n * C);
    const B = idx.length;
    const t = new Float64Array(B * C);
    for (let i = 0; i < B; i++) {
      const row = idx[i]!;
      if (!(row >= 0 && row < this.n)) throw new ValueError(`temporal ensembling: example index ${row} is outside [0, ${this.n})`);
      let total = 0;
      for (let c = 0; c < C; c++) {
        const v = this.momentum * this.s[row * C + c]! + (1 - this.momentum) * p[i * C + c]!;
        this.s[row * C + c] = v;
        total += v;
      }
      for (let c = 0; c < C; c++) t[i * C + c] = this.s[row * C + c]! / total;
    }
    return t;
  }
}

/** (w/(B·C))·Σ_c (softmax(z)_c − T_c)² per example: the per-example share of w·MSE (mean over B·C). */
export const teTerm = (z: Tensor, target: Tensor, w: number): Tensor =>
  tidy(() => mul(sum(square(sub(softmax(z, 1), target)), 1), w / target.size));

/** A batch's TE targets T [B, C] (owned by the step that asked) and the epoch's weight w_e. */
export interface TeTargets {
  target: Tensor;
  weight: number;
}

/** One run's temporal ensembling: the ramp over its epoch budget and the ensemble state. */
export class TemporalEnsemble {
  readonly start: number;
  readonly end: number;
  private readonly lambdaMax: number;
  private readonly state: EnsembleState;

  constructor(te: TeOptions, epochs: number) {
    if (!(Number.isInteger(te.numExamples) && te.numExamples >= 1)) {
      throw new ValueError(`trainRobust: temporal ensembling needs numExamples (the training-set size), got ${te.numExamples}`);
    }
    this.start = te.startEpoch ?? teWindow(epochs).start;
    this.end = te.endEpoch ?? teWindow(epochs).end;
    this.lambdaMax = te.lambdaMax ?? 300;
    this.state = new EnsembleState(te.numExamples, te.momentum ?? 0.9);
  }

  /** w_e = λ_max·r(e). */
  weight(epoch: number): number {
    return this.lambdaMax * teRamp(epoch, this.start, this.end);
  }

  /**
   * Steps 1–2 of §3.4 for a batch from the start epoch on: the eval-mode clean softmax (one
   * readback), the ensemble update, the renormalised targets; null before the start.
   */
  async targets(model: Module, batch: Batch<Int32Array>, epoch: number): Promise<TeTargets | null> {
    if (epoch < this.start) return null;
    if (!batch.idx) throw new ValueError('trainRobust: temporal ensembling needs batches with idx (dataset indices)');
    const p = inEvalMode(model, () => noGrad(() => tidy(() => softmax(model.forward(batch.x), 1))));
    const [B, C] = p.shape as [number, number];
    let pv: ArrayLike<number>;
    try {
      pv = await p.data();
    } finally {
      p.dispose();
    }
    return { target: tensor(this.state.update(batch.idx, pv, C), [B, C], { backend: batch.x.backend }), weight: this.weight(epoch) };
  }
}
