/**
 * The models one seed of the study trains, in order: the names are those of results.ts MODELS and
 * EPS_LADDER, so that experiments and findings agree.
 */
import { ValueError } from '../errors.js';
import type { InnerAttack } from '../robust/recipes.js';
import type { StudyConfig } from './config.js';
import type { StudyData } from './data.js';
import type { ModelSpec } from './models.js';
import { EPS_LADDER, MODELS } from './results.js';

/** Added to a control model's seed: "a second standard model of a different seed". */
export const CONTROL_SEED_OFFSET = 1000;

/** TRADES β of the second random-label TRADES run (c2: β ∈ {1, 6}). */
export const RL_TRADES_BETA_LOW = 1;

/** PGD with K steps and α = 2.5·ε/K (methods.md §2.3). */
const pgdAttack = (eps: number, steps: number): InnerAttack => ({ eps, steps, alpha: (2.5 * eps) / steps });

/** The data a seed's specs draw on; undefined where only names and settings are needed (e.g. loadBest). */
export interface SpecData {
  /** The random-label runs' training subset. */
  randomLabel?: StudyData['train'];
  /** The robust-overfitting runs' training images and their held-out validation split. */
  overfitTrain?: StudyData['train'];
  overfitValidation?: StudyData['train'];
}

/** The robust-overfitting split of a seed's training set: the first roTrainSize images train, the next roValSize validate. */
export function overfitSplit(data: StudyData, cfg: StudyConfig): { train: StudyData['train']; validation: StudyData['train']; validationIndices: number[] } {
  const s = cfg.sizes;
  const need = s.roTrainSize + s.roValSize;
  if (data.train.length < need) {
    throw new ValueError(`study: the robust-overfitting runs need roTrainSize + roValSize = ${need} training images, the seed has ${data.train.length}; raise trainSize or lower them`);
  }
  const validationIndices = Array.from({ length: s.roValSize }, (_, i) => s.roTrainSize + i);
  return { train: data.train.take(s.roTrainSize), validation: data.train.subset(validationIndices, `${data.train.name}[validation]`), validationIndices };
}

export function studySpecs(cfg: StudyConfig, seed: number, d: SpecData = {}): ModelSpec[] {
  const s = cfg.sizes;
  const attack = pgdAttack(cfg.eps, s.trainSteps);
  const ladder = EPS_LADDER.filter((r) => r.fraction > 0 && r.fraction < 1).map((r): ModelSpec => ({
    name: r.model, arch: 'cnn-small', recipe: { kind: 'pgd-at', attack: pgdAttack(r.fraction * cfg.eps, s.trainSteps) }, epochs: s.epochs,
  }));
  // Memorisation (methods.md §3.3, §7): every label resampled uniformly once, no weight decay, the
  // smaller ε §7 suggests for random labels, and Adam with small batches so that a few hundred
  // steps fit the budget (the paper's 300 SGD epochs do not). All three runs share these settings.
  const rlAttack = pgdAttack(cfg.eps / 2, 3);
  const rl = (name: string, recipe: ModelSpec['recipe']): ModelSpec => ({
    name, arch: 'cnn-small', recipe, epochs: s.randomLabelEpochs, labelNoise: { rate: 1, seed: seed + 99, numClasses: 10 },
    train: d.randomLabel, weightDecay: 0, lr: 1e-3, adam: true, batchSize: 32, trainEval: true,
  });
  // Robust overfitting (a4, c3): a small training set and the step decay at 0.75·E, with and without temporal ensembling.
  const ro = (name: string, te: boolean): ModelSpec => ({
    name, arch: 'cnn-small', epochs: s.roEpochs, train: d.overfitTrain, validation: d.overfitValidation,
    recipe: { kind: 'pgd-at', attack, ...(te ? { te: { numExamples: s.roTrainSize } } : {}) },
  });
  return [
    { name: MODELS.cnnStandard, arch: 'cnn-small', recipe: { kind: 'standard' }, epochs: s.epochs },
    { name: MODELS.cnnStandardB, arch: 'cnn-small', recipe: { kind: 'standard' }, epochs: s.epochs, seedOffset: CONTROL_SEED_OFFSET },
    { name: MODELS.cnnPgdAt, arch: 'cnn-small', recipe: { kind: 'pgd-at', attack }, epochs: s.epochs },
    ...ladder,
    { name: MODELS.cnnTrades, arch: 'cnn-small', recipe: { kind: 'trades', beta: cfg.beta, attack }, epochs: s.epochs },
    { name: MODELS.deepStandard, arch: 'plain-cnn', recipe: { kind: 'standard' }, epochs: s.deepEpochs },
    { name: MODELS.deepStandardB, arch: 'plain-cnn', recipe: { kind: 'standard' }, epochs: s.deepEpochs, seedOffset: CONTROL_SEED_OFFSET },
    { name: MODELS.deepPgdAt, arch: 'plain-cnn', recipe: { kind: 'pgd-at', attack: pgdAttack(cfg.eps, s.deepTrainSteps) }, epochs: s.deepEpochs },
    rl(MODELS.rlPgdAt, { kind: 'pgd-at', attack: rlAttack }),
    rl(MODELS.rlTrades, { kind: 'trades', beta: cfg.beta, attack: rlAttack }),
    rl(MODELS.rlTradesBeta1, { kind: 'trades', beta: RL_TRADES_BETA_LOW, attack: rlAttack }),
    ro(MODELS.roPgdAt, false),
    ro(MODELS.roPgdAtTe, true),
  ];
}
