import { noGrad, valueAndGrad } from '../autograd/tape.js';
import { keep, throttle, tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import { crossEntropy, klDivergence, mse, oneHotLike } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { full, tensor } from '../ops/creation.js';
import { add, mul, square, sub } from '../ops/elementwise.js';
import { gather } from '../ops/layout.js';
import { argmax, sum } from '../ops/reduce.js';
import { softmax } from '../ops/softmax.js';
import { wrap } from '../ops/util.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkInputRange, checkLabels, inEvalMode, pgdTensors, resolvePgd, type Objective, type PgdOptions } from './attacks.js';
import { ceAscent } from './objectives.js';
import { robustEvaluate, type Batch, type BatchSource } from './evaluate.js';

/** The inner attack of a training recipe (L∞ unless `norm` says otherwise). */
export interface InnerAttack {
  eps: number;
  steps: number;
  alpha?: number;
  norm?: 'linf' | 'l2';
}

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

export type Recipe =
  | { kind: 'standard' }
  | { kind: 'pgd-at'; attack: InnerAttack; te?: TeOptions }
  | { kind: 'trades'; beta: number; attack: InnerAttack; te?: TeOptions }
  /** Wong et al. 2020: uniform start in the ε-box, one sign step of α (default 1.25·ε). */
  | { kind: 'fast-fgsm'; eps: number; alpha?: number };

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

/**
 * Symmetric label noise (methods.md §3.3, `label_symmetric`): each label is resampled once from
 * row P[y] of P = (r/C)·11ᵀ + (1 − r)·I. The draw for example i depends only on (seed, i), so a
 * dataset's noisy labels are the same whatever the batch order, every epoch.
 */
export function noisyLabel(y: number, index: number, classes: number, rate: number, seed: number): number {
  const rng = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  return rng.uniform() < rate ? rng.int(classes) : y;
}

export function symmetricLabelNoise(labels: ArrayLike<number>, classes: number, rate: number, seed: number): Int32Array {
  if (!(rate >= 0 && rate <= 1)) throw new ValueError(`symmetricLabelNoise: rate ${rate} must be in [0, 1]`);
  return Int32Array.from({ length: labels.length }, (_, i) => noisyLabel(labels[i]!, i, classes, rate, seed));
}

type Source = BatchSource;
type Data = Source | ((epoch: number) => Source);

/** The batches of a source with their labels replaced by the run's fixed noisy labels. */
async function* noisyBatches(src: BatchSource, ln: { rate: number; seed: number; numClasses: number }): AsyncGenerator<Batch> {
  for await (const b of src) {
    if (!b.idx) throw new ValueError('trainRobust: random-label training needs batches with idx (dataset indices)');
    const idx = b.idx;
    yield { ...b, y: Int32Array.from(b.y, (v, i) => noisyLabel(v, idx[i]!, ln.numClasses, ln.rate, ln.seed)) };
  }
}

export interface EpochLog {
  /** Epoch number, from 1. */
  epoch: number;
  lr: number;
  /** Mean training loss of the recipe over the epoch's batches. */
  trainLoss: number;
  /** Accuracy on the training batches as seen during training: clean (eval-mode attack pass or train-mode clean pass). */
  trainCleanAcc: number;
  /** Accuracy of the train-mode forward on the adversarial training batches (null for standard training). */
  trainRobustAcc: number | null;
  /** Σ_params ‖∂L/∂θ‖², averaged over the epoch's batches (methods.md §3.3). */
  gradSqNorm: number;
  /** TE weight w_e = λ_max·r(e) (0 without TE). */
  teWeight: number;
  /** From `data.trainEval` with the evaluation attack (methods.md §3.5), when given. */
  trainEvalCleanAcc: number | null;
  trainEvalRobustAcc: number | null;
  testCleanAcc: number | null;
  testRobustAcc: number | null;
  seconds: number;
}

export interface Snapshot {
  epoch: number;
  testCleanAcc: number | null;
  testRobustAcc: number | null;
  /** Copies of the named parameters and buffers at that epoch (owned by the result). */
  state: [string, Tensor][];
}

export interface TrainResult {
  log: EpochLog[];
  best: Snapshot | null;
  last: Snapshot | null;
  /** Best − Last test robust accuracy (methods.md §3.5), null without a test set. */
  robustOverfittingGap: number | null;
  /** Train robust − test robust accuracy at the last epoch (trainEval when given, else the running one). */
  generalizationGap: number | null;
  dispose(): void;
}

export interface TrainOptions {
  epochs: number;
  /** Learning rate per epoch (1..E; sets optimizer.lr before each epoch). */
  lr?: (epoch: number) => number;
  /** Random-label training: labels resampled once with `seed` (batches must carry `idx`). */
  labelNoise?: { rate: number; seed: number; numClasses: number };
  /** The per-epoch evaluation attack; default PGD-10, α = ε/4, random start, at the recipe's ε; in the recipe's norm unless it names one. */
  evalAttack?: PgdOptions;
  /** Seed of every random start of the run. */
  seed?: number;
  /** Called after each epoch with the last state, and when a new best appears. */
  onCheckpoint?: (kind: 'best' | 'last', epoch: number, state: [string, Tensor][], log: EpochLog) => void | Promise<void>;
  onEpoch?: (log: EpochLog) => void;
}

export interface TrainData {
  train: Data;
  test?: Data;
  /** A fixed training subset for train clean/robust accuracy under the evaluation attack. */
  trainEval?: Data;
}

function recipeEps(recipe: Recipe): number | null {
  return recipe.kind === 'standard' ? null : recipe.kind === 'fast-fgsm' ? recipe.eps : recipe.attack.eps;
}

function validate(recipe: Recipe, o: TrainOptions): void {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new ValueError(`trainRobust: epochs ${o.epochs} must be an integer >= 1`);
  if (recipe.kind === 'trades' && !(recipe.beta >= 0 && Number.isFinite(recipe.beta))) throw new ValueError(`trainRobust: TRADES beta ${recipe.beta} must be a finite number >= 0`);
  if (recipe.kind === 'pgd-at' || recipe.kind === 'trades') {
    const a = recipe.attack;
    if (!(a.eps >= 0 && Number.isFinite(a.eps))) throw new ValueError(`trainRobust: eps ${a.eps} must be a finite number >= 0`);
    if (!(Number.isInteger(a.steps) && a.steps >= 1)) throw new ValueError(`trainRobust: steps ${a.steps} must be an integer >= 1`);
    if (recipe.te && !(Number.isInteger(recipe.te.numExamples) && recipe.te.numExamples >= 1)) {
      throw new ValueError(`trainRobust: temporal ensembling needs numExamples (the training-set size), got ${recipe.te.numExamples}`);
    }
  }
  if (recipe.kind === 'fast-fgsm' && !(recipe.eps >= 0 && Number.isFinite(recipe.eps))) throw new ValueError(`trainRobust: eps ${recipe.eps} must be a finite number >= 0`);
  if (o.labelNoise && !(o.labelNoise.rate >= 0 && o.labelNoise.rate <= 1)) throw new ValueError(`trainRobust: label noise rate ${o.labelNoise.rate} must be in [0, 1]`);
}

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

/** A device copy of a parameter or buffer (any dtype), for best/last snapshots. */
const copyOf = (t: Tensor): Tensor =>
  wrap(t.shape, t.dtype, t.backend, t.backend.readView(t.storage('snapshot'), { shape: [t.size], strides: [1], offset: 0 }));

function snapshot(model: Module, epoch: number, log: EpochLog): Snapshot {
  const state: [string, Tensor][] = [...model.namedParameters(), ...model.namedBuffers()].map(([n, t]) => [n, keep(copyOf(t))]);
  return { epoch, testCleanAcc: log.testCleanAcc, testRobustAcc: log.testRobustAcc, state };
}

const disposeSnap = (s: Snapshot | null): void => s?.state.forEach(([, t]) => t.dispose());

/** Count of correct argmax predictions as a device scalar. */
const correctCount = (z: Tensor, onehot: Tensor): Tensor => tidy(() => {
  const C = z.shape[1]!;
  const eye = tensor(Float64Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0)), [C, C], { backend: z.backend });
  return sum(mul(gather(eye, argmax(z, 1), 0), onehot));
});

interface StepOut {
  loss: Tensor;
  clean: Tensor;
  robust: Tensor | null;
  gradSq: Tensor;
}

/**
 * Train `model` with a recipe for `opts.epochs` epochs, evaluating after each (methods.md §3):
 * PGD-AT, TRADES (optionally with temporal ensembling), fast FGSM, standard; random labels via
 * `opts.labelNoise`. Keeps the best (test robust accuracy, ties by clean) and last states.
 */
export async function trainRobust(model: Module, optimizer: Optimizer, data: TrainData, recipe: Recipe, opts: TrainOptions): Promise<TrainResult> {
  validate(recipe, opts);
  const E = opts.epochs;
  const rng = new Rng(opts.seed ?? 0);
  const te = (recipe.kind === 'pgd-at' || recipe.kind === 'trades') && recipe.te ? recipe.te : null;
  const teStart = te?.startEpoch ?? teWindow(E).start;
  const teEnd = te?.endEpoch ?? teWindow(E).end;
  const ensemble = te ? new EnsembleState(te.numExamples, te.momentum ?? 0.9) : null;
  const eps = recipeEps(recipe);
  // The evaluation attack threatens in the recipe's norm unless it names its own.
  const norm = recipe.kind === 'pgd-at' || recipe.kind === 'trades' ? recipe.attack.norm : undefined;
  const evalAttack: PgdOptions | null = opts.evalAttack
    ? { ...opts.evalAttack, norm: opts.evalAttack.norm ?? norm }
    : eps === null ? null : { eps, steps: 10, alpha: eps / 4, norm };
  const evalRng = new Rng((opts.seed ?? 0) + 1);
  const params = model.parameters();
  const log: EpochLog[] = [];
  let best: Snapshot | null = null;
  let last: Snapshot | null = null;
  const source = (d: Data, e: number): Source => (typeof d === 'function' ? d(e) : d);

  try {
    // Epochs are numbered 1..E, as in train_te.py (`for epoch in range(1, args.epochs + 1)`), so the TE
    // ramp and its start test `epoch >= start_es` see the same numbers as the reference code.
    for (let epoch = 1; epoch <= E; epoch++) {
      const t0 = performance.now();
      if (opts.lr) optimizer.lr = opts.lr(epoch);
      const w = te ? (te.lambdaMax ?? 300) * teRamp(epoch, teStart, teEnd) : 0;
      const teActive = te !== null && epoch >= teStart;
      let acc: StepOut | null = null;
      let seen = 0;
      let batches = 0;
      try {
        for await (const batch of source(data.train, epoch)) {
          await throttle();
          const B = batch.x.shape[0]!;
          let y = batch.y;
          if (opts.labelNoise) {
            const ln = opts.labelNoise;
            if (!batch.idx) throw new ValueError('trainRobust: random-label training needs batches with idx (dataset indices)');
            y = Int32Array.from(y, (v, i) => noisyLabel(v, batch.idx![i]!, ln.numClasses, ln.rate, ln.seed));
          }
          checkLabels('trainRobust', 'label', y, B, opts.labelNoise?.numClasses);
          if (batches === 0) await checkInputRange('trainRobust', batch.x);
          let target: Tensor | null = null;
          if (teActive) {
            if (!batch.idx) throw new ValueError('trainRobust: temporal ensembling needs batches with idx (dataset indices)');
            // Step 1–2 of §3.4: eval-mode clean softmax, ensemble update, renormalised targets.
            const p = inEvalMode(model, () => noGrad(() => tidy(() => softmax(model.forward(batch.x), 1))));
            const pv = await p.data();
            const C = p.shape[1]!;
            p.dispose();
            target = tensor(ensemble!.update(batch.idx, pv, C), [B, C], { backend: batch.x.backend });
          }
          const out = trainStep(model, optimizer, params, recipe, batch.x, y, rng, target, w);
          target?.dispose();
          const prev: StepOut | null = acc;
          acc = prev === null ? out : tidy((): StepOut => ({
            loss: add(prev.loss, out.loss),
            clean: add(prev.clean, out.clean),
            robust: prev.robust && out.robust ? add(prev.robust, out.robust) : null,
            gradSq: add(prev.gradSq, out.gradSq),
          }));
          if (prev !== null) for (const t of [prev.loss, prev.clean, prev.robust, prev.gradSq, out.loss, out.clean, out.robust, out.gradSq]) t?.dispose();
          seen += B;
          batches++;
        }
      } catch (e) {
        const a: StepOut | null = acc;
        if (a) for (const t of [a.loss, a.clean, a.robust, a.gradSq]) t?.dispose();
        throw e;
      }
      if (acc === null) throw new ValueError(`trainRobust: epoch ${epoch} had no training batches`);
      const [lossSum, cleanSum, robustSum, gradSum] = await Promise.all([acc.loss.item(), acc.clean.item(), acc.robust?.item() ?? null, acc.gradSq.item()]);
      for (const t of [acc.loss, acc.clean, acc.robust, acc.gradSq]) t?.dispose();

      const evaluate = async (d: Data | undefined): Promise<[number | null, number | null]> => {
        if (!d) return [null, null];
        if (!evalAttack) {
          const r = await robustEvaluate(model, source(d, epoch), { type: 'pgd', eps: 0, steps: 1, alpha: 0, randomStart: false });
          return [r.cleanAccuracy, null];
        }
        const r = await robustEvaluate(model, source(d, epoch), { type: 'pgd', ...evalAttack, seed: evalRng });
        return [r.cleanAccuracy, r.robustAccuracy];
      };
      // Training accuracies are measured against the labels the model is trained on (random ones too, §3.3).
      const trainEvalData = data.trainEval && opts.labelNoise ? (e: number) => noisyBatches(source(data.trainEval!, e), opts.labelNoise!) : data.trainEval;
      const [trainEvalCleanAcc, trainEvalRobustAcc] = await evaluate(trainEvalData);
      const [testCleanAcc, testRobustAcc] = await evaluate(data.test);
      const entry: EpochLog = {
        epoch, lr: optimizer.lr, trainLoss: lossSum / batches, trainCleanAcc: cleanSum / seen,
        trainRobustAcc: robustSum === null ? null : robustSum / seen, gradSqNorm: gradSum / batches, teWeight: w,
        trainEvalCleanAcc, trainEvalRobustAcc, testCleanAcc, testRobustAcc, seconds: (performance.now() - t0) / 1000,
      };
      log.push(entry);
      opts.onEpoch?.(entry);
      disposeSnap(last);
      last = snapshot(model, epoch, entry);
      await opts.onCheckpoint?.('last', epoch, last.state, entry);
      const better = (a: EpochLog, b: Snapshot | null): boolean => {
        if (b === null) return true;
        const ra = a.testRobustAcc ?? -1, rb = b.testRobustAcc ?? -1;
        return ra > rb || (ra === rb && (a.testCleanAcc ?? -1) > (b.testCleanAcc ?? -1));
      };
      if (data.test && better(entry, best)) {
        disposeSnap(best);
        best = snapshot(model, epoch, entry);
        await opts.onCheckpoint?.('best', epoch, best.state, entry);
      }
    }
  } catch (e) {
    disposeSnap(best);
    disposeSnap(last);
    throw e;
  }
  const final = log[log.length - 1]!;
  const trainRob = final.trainEvalRobustAcc ?? final.trainRobustAcc;
  return {
    log, best, last,
    robustOverfittingGap: best?.testRobustAcc != null && final.testRobustAcc != null ? best.testRobustAcc - final.testRobustAcc : null,
    generalizationGap: trainRob != null && final.testRobustAcc != null ? trainRob - final.testRobustAcc : null,
    dispose() {
      disposeSnap(best);
      disposeSnap(last);
    },
  };
}

/** TRADES outer loss CE(f(x), y) + β·(1/B)·Σ_i KL(p(x_i) ‖ p(x'_i)), gradients through both p(x) and p(x') (§3.2). */
export function tradesLoss(zClean: Tensor, zAdv: Tensor, y: ArrayLike<number>, beta: number): Tensor {
  return tidy(() => add(crossEntropy(zClean, y), mul(klDivergence(zClean, zAdv, 'batchmean'), beta)));
}

/** (w/(B·C))·Σ_c (softmax(z)_c − T_c)² per example: the per-example share of w·MSE (mean over B·C). */
export const teTerm = (z: Tensor, target: Tensor, w: number): Tensor =>
  tidy(() => mul(sum(square(sub(softmax(z, 1), target)), 1), w / target.size));

/** One optimisation step of a recipe; returns device scalars (loss, clean and robust correct counts, Σ‖g‖²). */
function trainStep(model: Module, optimizer: Optimizer, params: Tensor[], recipe: Recipe, x: Tensor, y: Int32Array, rng: Rng, target: Tensor | null, w: number): StepOut {
  return tidy(() => {
    const B = x.shape[0]!;
    let xAdv: Tensor | null = null;
    let clean!: Tensor;
    let pClean: Tensor | null = null;
    if (recipe.kind === 'pgd-at' || recipe.kind === 'fast-fgsm') {
      const inner: PgdOptions = recipe.kind === 'pgd-at'
        ? { ...recipe.attack, seed: rng, trackSteps: false } // pgd's own start for the norm: uniform (L∞), madry (L2)
        : { eps: recipe.eps, steps: 1, alpha: recipe.alpha ?? 1.25 * recipe.eps, start: 'uniform', norm: 'linf', seed: rng, trackSteps: false };
      if (target) {
        // PGD-AT+TE inner objective: CE(f(x'), y) (batch mean) + w·MSE(softmax(f(x')), T), per example.
        const onehot = noGrad(() => oneHotLike(full([B, target.shape[1]!], 0, { backend: x.backend }), y, 'trainRobust'));
        inner.loss = (z) => add(mul(ceAscent(z, onehot), 1 / B), teTerm(z, target, w));
      }
      const r = resolvePgd('trainRobust', x, y, inner);
      const adv = pgdTensors(model, x, y, r);
      xAdv = adv.x;
      clean = sum(adv.cleanCorrect);
    } else if (recipe.kind === 'trades') {
      // Inner: ascend KL(p(x) ‖ p(x')) from x + 0.001·N(0, I), p(x) an eval-mode constant (§3.2).
      pClean = inEvalMode(model, () => noGrad(() => model.forward(x)));
      const pc = pClean;
      const beta = recipe.beta;
      const loss: Objective = target
        ? (z) => add(mul(klDivergence(pc, z, 'none'), beta / B), teTerm(z, target, w))
        : (z) => klDivergence(pc, z, 'none');
      const r = resolvePgd('trainRobust', x, y, { ...recipe.attack, start: 'normal', loss, seed: rng, trackSteps: false });
      xAdv = pgdTensors(model, x, y, r).x;
    }
    model.train();
    let robust: Tensor | null = null;
    let cleanTrain: Tensor | null = null;
    const { value, grads } = valueAndGrad(() => {
      if (recipe.kind === 'standard') {
        const z = model.forward(x);
        cleanTrain = keep(noGrad(() => correctCount(z, oneHotLike(z, y))));
        return crossEntropy(z, y);
      }
      if (recipe.kind === 'trades') {
        const zc = model.forward(x);
        const za = model.forward(xAdv!);
        cleanTrain = keep(noGrad(() => correctCount(zc, oneHotLike(zc, y))));
        robust = keep(noGrad(() => correctCount(za, oneHotLike(za, y))));
        let l = tradesLoss(zc, za, y, recipe.beta);
        if (target) l = add(l, mul(mse(softmax(zc, 1), target), w));
        return l;
      }
      const za = model.forward(xAdv!);
      robust = keep(noGrad(() => correctCount(za, oneHotLike(za, y))));
      let l = crossEntropy(za, y);
      if (target) l = add(l, mul(mse(softmax(za, 1), target), w));
      return l;
    }, params);
    const gradSq = noGrad(() => grads.map((g) => sum(square(g))).reduce((a, b) => add(a, b)));
    optimizer.step(params, grads);
    // cleanTrain and robust were taken out of every scope by keep(); the caller disposes them.
    return { loss: value, clean: cleanTrain ?? clean, robust, gradSq } satisfies StepOut;
  });
}
