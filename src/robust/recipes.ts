/**
 * Adversarial-training recipes (methods.md §3) on the one training loop (train/fit.ts): standard,
 * PGD-AT, fast FGSM and TRADES, PGD-AT and TRADES optionally with temporal ensembling, any of them on
 * random labels; each epoch evaluated with a PGD attack, best and last states kept.
 */
import type { Batch, BatchSource } from '../data/dataset.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { fit, type FitOptions, type StateSnapshot } from '../train/fit.js';
import { standardStep } from '../train/standard.js';
import type { TrainStep } from '../train/step.js';
import { robustEvaluate } from './evaluate.js';
import { noisyBatches, type LabelNoise } from './label-noise.js';
import { fastFgsmAttack, pgdAtStep } from './pgd-at.js';
import { checkInputRange, checkLabels, type Norm, type PgdOptions } from './pgd-options.js';
import { TemporalEnsemble, type TeOptions } from './temporal-ensembling.js';
import { tradesStep } from './trades.js';

/** The inner attack of a training recipe (L∞ unless `norm` says otherwise). */
export interface InnerAttack {
  eps: number;
  steps: number;
  alpha?: number;
  norm?: Norm;
}

export type Recipe =
  | { kind: 'standard' }
  | { kind: 'pgd-at'; attack: InnerAttack; te?: TeOptions }
  | { kind: 'trades'; beta: number; attack: InnerAttack; te?: TeOptions }
  /** Wong et al. 2020: uniform start in the ε-box, one sign step of α (default 1.25·ε). */
  | { kind: 'fast-fgsm'; eps: number; alpha?: number };

type Source = BatchSource<Batch<Int32Array>>;
type Data = Source | ((epoch: number) => Source);

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
  labelNoise?: LabelNoise;
  /**
   * The per-epoch evaluation attack; default PGD-10, α = ε/4, random start, at the recipe's ε; in the
   * recipe's norm unless it names one. Its random starts come from the run's stream Rng(seed + 1),
   * whatever `evalAttack.seed` says.
   */
  evalAttack?: PgdOptions;
  /** Seed of every random start of the run. */
  seed?: number;
  /** Draw a progress bar per epoch on a terminal (default off). */
  progress?: boolean;
  /** Called after each epoch with the last state, and when a new best appears. */
  onCheckpoint?: FitOptions<EpochLog>['onCheckpoint'];
  onEpoch?: (log: EpochLog) => void;
}

export interface TrainData {
  train: Data;
  test?: Data;
  /** A fixed training subset for train clean/robust accuracy under the evaluation attack. */
  trainEval?: Data;
}

function validate(recipe: Recipe, o: TrainOptions): void {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new ValueError(`trainRobust: epochs ${o.epochs} must be an integer >= 1`);
  if (recipe.kind === 'trades' && !(recipe.beta >= 0 && Number.isFinite(recipe.beta))) throw new ValueError(`trainRobust: TRADES beta ${recipe.beta} must be a finite number >= 0`);
  if (recipe.kind === 'pgd-at' || recipe.kind === 'trades') {
    const a = recipe.attack;
    if (!(a.eps >= 0 && Number.isFinite(a.eps))) throw new ValueError(`trainRobust: eps ${a.eps} must be a finite number >= 0`);
    if (!(Number.isInteger(a.steps) && a.steps >= 1)) throw new ValueError(`trainRobust: steps ${a.steps} must be an integer >= 1`);
  }
  if (recipe.kind === 'fast-fgsm' && !(recipe.eps >= 0 && Number.isFinite(recipe.eps))) throw new ValueError(`trainRobust: eps ${recipe.eps} must be a finite number >= 0`);
  if (o.labelNoise && !(o.labelNoise.rate >= 0 && o.labelNoise.rate <= 1)) throw new ValueError(`trainRobust: label noise rate ${o.labelNoise.rate} must be in [0, 1]`);
}

/** The step of a recipe; `rng` draws every inner attack's random start. (What a step prepares is its own business: any P.) */
function recipeStep(recipe: Recipe, rng: Rng, te: TemporalEnsemble | null): TrainStep<Batch<Int32Array>, any> {
  switch (recipe.kind) {
    case 'standard':
      return standardStep({ op: 'trainRobust', count: 'argmax' });
    case 'pgd-at':
      return pgdAtStep(recipe.attack, { rng, te });
    case 'fast-fgsm':
      return pgdAtStep(fastFgsmAttack(recipe.eps, recipe.alpha), { rng });
    case 'trades':
      return tradesStep(recipe.beta, recipe.attack, { rng, te });
  }
}

/** The per-epoch evaluation attack: `evalAttack` or PGD-10 (α = ε/4) at the recipe's ε, in the recipe's norm unless it names one; none for standard training without `evalAttack`. */
function epochAttack(recipe: Recipe, evalAttack: PgdOptions | undefined): PgdOptions | null {
  if (recipe.kind === 'standard') return evalAttack ?? null;
  const eps = recipe.kind === 'fast-fgsm' ? recipe.eps : recipe.attack.eps;
  const norm = recipe.kind === 'fast-fgsm' ? undefined : recipe.attack.norm;
  return evalAttack ? { ...evalAttack, norm: evalAttack.norm ?? norm } : { eps, steps: 10, alpha: eps / 4, norm };
}

/** The training batches as the steps take them: labels checked on the host, the first batch's inputs in [0, 1]. */
async function* checked(src: Source, numClasses: number | undefined): AsyncGenerator<Batch<Int32Array>> {
  let first = true;
  for await (const b of src) {
    checkLabels('trainRobust', 'label', b.y, b.x.shape[0]!, numClasses);
    if (first) await checkInputRange('trainRobust', b.x);
    first = false;
    yield b;
  }
}

const asSnapshot = (s: StateSnapshot<EpochLog> | null): Snapshot | null =>
  s && { epoch: s.epoch, testCleanAcc: s.log.testCleanAcc, testRobustAcc: s.log.testRobustAcc, state: s.state };

/**
 * Train `model` with a recipe for `opts.epochs` epochs, evaluating after each (methods.md §3):
 * PGD-AT, TRADES (optionally with temporal ensembling), fast FGSM, standard; random labels via
 * `opts.labelNoise`. Keeps the best (test robust accuracy, ties by clean) and last states.
 */
export async function trainRobust(model: Module, optimizer: Optimizer, data: TrainData, recipe: Recipe, opts: TrainOptions): Promise<TrainResult> {
  validate(recipe, opts);
  const te = (recipe.kind === 'pgd-at' || recipe.kind === 'trades') && recipe.te ? new TemporalEnsemble(recipe.te, opts.epochs) : null;
  const step = recipeStep(recipe, new Rng(opts.seed ?? 0), te);
  const evalAttack = epochAttack(recipe, opts.evalAttack);
  const evalRng = new Rng((opts.seed ?? 0) + 1);
  const source = (d: Data, e: number): Source => (typeof d === 'function' ? d(e) : d);
  // Training and training accuracies both see the labels the model is trained on (random ones too, §3.3).
  const labelled = (d: Data, e: number): Source => (opts.labelNoise ? noisyBatches(source(d, e), opts.labelNoise) : source(d, e));

  const evaluate = async (d: Data | undefined, epoch: number, labels: (d: Data, e: number) => Source): Promise<[number | null, number | null]> => {
    if (!d) return [null, null];
    if (!evalAttack) {
      const r = await robustEvaluate(model, labels(d, epoch), { type: 'pgd', eps: 0, steps: 1, alpha: 0, randomStart: false });
      return [r.cleanAccuracy, null];
    }
    const r = await robustEvaluate(model, labels(d, epoch), { type: 'pgd', ...evalAttack, seed: evalRng });
    return [r.cleanAccuracy, r.robustAccuracy];
  };

  const run = await fit(model, optimizer, (e) => checked(labelled(data.train, e), opts.labelNoise?.numClasses), step, {
    name: 'trainRobust', epochs: opts.epochs, lr: opts.lr, lossMean: 'batch', trackGradNorm: true, quiet: !opts.progress,
    async summarize({ epoch, lr, train, seconds }): Promise<EpochLog> {
      const [trainEvalCleanAcc, trainEvalRobustAcc] = await evaluate(data.trainEval, epoch, labelled);
      const [testCleanAcc, testRobustAcc] = await evaluate(data.test, epoch, source);
      return {
        epoch, lr, trainLoss: train.loss, trainCleanAcc: train.accuracy, trainRobustAcc: train.robustAccuracy, gradSqNorm: train.gradSqNorm!,
        teWeight: te ? te.weight(epoch) : 0, trainEvalCleanAcc, trainEvalRobustAcc, testCleanAcc, testRobustAcc, seconds: seconds(),
      };
    },
    rank: data.test ? (l) => [l.testRobustAcc ?? -1, l.testCleanAcc ?? -1] : undefined,
    onEpoch: opts.onEpoch,
    onCheckpoint: opts.onCheckpoint,
  });
  const final = run.log[run.log.length - 1]!;
  const best = asSnapshot(run.best);
  const trainRob = final.trainEvalRobustAcc ?? final.trainRobustAcc;
  return {
    log: run.log, best, last: asSnapshot(run.last),
    robustOverfittingGap: best?.testRobustAcc != null && final.testRobustAcc != null ? best.testRobustAcc - final.testRobustAcc : null,
    generalizationGap: trainRob != null && final.testRobustAcc != null ? trainRob - final.testRobustAcc : null,
    dispose: () => run.dispose(),
  };
}
