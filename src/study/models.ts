import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_SHAPES } from '../data/datasets-node.js';
import { loadCheckpoint, loadModel, saveCheckpoint } from '../train/checkpoint-node.js';
import { archMetadata, archSpec, buildArch, type ArchSpec } from '../nn/arch.js';
import type { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import { multiStep } from '../optim/schedules.js';
import type { PgdOptions } from '../robust/attacks.js';
import { trainRobust, type EpochLog, type Recipe } from '../robust/recipes.js';
import type { StudyConfig } from './config.js';
import { ownedBatches } from '../data/owned-batches.js';
import type { StudyData } from './data.js';
import type { StageRunner } from './stages.js';

export interface TrainedSummary {
  name: string;
  arch: string;
  recipe: string;
  seed: number;
  log: EpochLog[];
  bestEpoch: number | null;
  robustOverfittingGap: number | null;
  generalizationGap: number | null;
  seconds: number;
  /** How the model was trained, so that every verdict can state the settings it rests on (absent in older results). */
  settings?: TrainSettings;
}

export interface TrainSettings {
  optimizer: 'SGD' | 'Adam';
  lr: number;
  /** SGD momentum; null for Adam. */
  momentum: number | null;
  weightDecay: number;
  batchSize: number;
  epochs: number;
  trainSize: number;
  recipe: Recipe;
  labelNoise: { rate: number; numClasses: number } | null;
  /** The attack of the per-epoch robust accuracies. */
  evalAttack: { eps: number; steps: number; alpha: number; norm: 'linf' | 'l2' };
}

export interface ModelSpec {
  name: string; // e.g. 'cnn-standard'
  arch: 'cnn-small' | 'plain-cnn';
  recipe: Recipe;
  epochs: number;
  labelNoise?: { rate: number; seed: number; numClasses: number };
  /** Training set override (the random-label runs use a small subset). */
  train?: StudyData['train'];
  lr?: number;
  weightDecay?: number;
  /** Also measure clean/robust accuracy on the training set each epoch (the random-label runs). */
  trainEval?: boolean;
  /** Adam instead of SGD with momentum (the random-label runs: memorisation within the budget). */
  adam?: boolean;
  batchSize?: number;
  /**
   * A control of "another seed": added to the seed of the initialisation, the batch order and the
   * attacks' random starts (e.g. the second standard model of d2 and a1/a2).
   */
  seedOffset?: number;
  /**
   * The per-epoch evaluation set instead of the first epochEvalSize test images (the robust-overfitting
   * runs: a validation split held out from training). The best checkpoint is then the first epoch of
   * highest robust accuracy on it (ties are not better), as c3 and a4 require.
   */
  validation?: StudyData['train'];
}

export const recipeName = (r: Recipe): string => (r.kind === 'trades' ? `TRADES (β=${r.beta})` : r.kind === 'pgd-at' ? 'PGD-AT' : r.kind);

/**
 * The attack of the per-epoch evaluation: PGD-min(10, evalSteps), α = 2.5·ε/K, at the run's own ε (the
 * random-label runs use a smaller one) and in the recipe's norm.
 */
export function epochEvalAttack(recipe: Recipe, cfg: StudyConfig, seed: number): PgdOptions {
  const eps = 'attack' in recipe ? recipe.attack.eps : cfg.eps;
  const steps = Math.min(10, cfg.sizes.evalSteps);
  return { eps, steps, alpha: (2.5 * eps) / steps, norm: 'attack' in recipe ? recipe.attack.norm : undefined, seed: seed + 17 };
}

/** The complete architecture of a study model (recorded in its checkpoints' metadata). */
export function archOf(spec: Pick<ModelSpec, 'arch'>, cfg: StudyConfig): ArchSpec {
  const [inChannels, inputSize] = DATASET_SHAPES[cfg.data];
  return archSpec(spec.arch, { inChannels, inputSize, classes: 10 }, spec.arch === 'plain-cnn' ? { depth: cfg.sizes.deepDepth, widthScale: cfg.sizes.deepWidth } : {});
}

export function build(spec: Pick<ModelSpec, 'arch' | 'seedOffset'>, cfg: StudyConfig, seed: number): Module {
  return buildArch(archOf(spec, cfg), { seed: seed + (spec.seedOffset ?? 0) });
}

export const checkpointPath = (cfg: StudyConfig, name: string, seed: number, kind: 'best' | 'last'): string =>
  join(cfg.outDir, 'checkpoints', `${name}-s${seed}-${kind}.safetensors`);

/**
 * Train one model as a stage (checkpointing best and last as safetensors after every epoch), or,
 * when the stage finished in an earlier run, load it from its last checkpoint.
 */
export async function trainOrLoad(runner: StageRunner, spec: ModelSpec, data: StudyData, cfg: StudyConfig, studySeed: number, log: (m: string) => void): Promise<{ model: Module; summary: TrainedSummary }> {
  const model = build(spec, cfg, studySeed);
  // Stage names and checkpoints carry the study's seed; the run itself draws from its own (a control's differs).
  const seed = studySeed + (spec.seedOffset ?? 0);
  const summary = await runner.run<TrainedSummary>({
    name: `train-${spec.name}-s${studySeed}`,
    run: async () => {
      const params = model.namedParameters();
      const lr = spec.lr ?? 0.05;
      const weightDecay = spec.weightDecay ?? (spec.adam ? 0 : 5e-4);
      const opt = spec.adam ? new Adam(params, { lr, weightDecay }) : new SGD(params, { lr, momentum: 0.9, weightDecay });
      const t0 = performance.now();
      const evalAttack = epochEvalAttack(spec.recipe, cfg, seed);
      const train = spec.train ?? (spec.arch === 'plain-cnn' ? data.train.take(cfg.sizes.deepTrainSize) : data.train);
      const settings: TrainSettings = {
        optimizer: spec.adam ? 'Adam' : 'SGD', lr, momentum: spec.adam ? null : 0.9, weightDecay,
        batchSize: spec.batchSize ?? cfg.sizes.batchSize, epochs: spec.epochs, trainSize: train.length, recipe: spec.recipe,
        labelNoise: spec.labelNoise ? { rate: spec.labelNoise.rate, numClasses: spec.labelNoise.numClasses } : null,
        evalAttack: { eps: evalAttack.eps, steps: evalAttack.steps, alpha: evalAttack.alpha!, norm: evalAttack.norm ?? 'linf' },
      };
      const evalSet = spec.validation ?? data.test.take(cfg.sizes.epochEvalSize);
      // With a validation split, "best" is the first maximum of its robust accuracy (trainRobust breaks ties by clean accuracy).
      let bestRobust = -Infinity;
      let bestEpoch: number | null = null;
      try {
        const res = await trainRobust(model, opt, {
          train: (epoch) => ownedBatches(train, settings.batchSize, seed * 1000 + epoch),
          // Random-label runs are judged on their training set; test accuracy is chance by design.
          ...(spec.labelNoise ? {} : { test: () => ownedBatches(evalSet, 256) }),
          ...(spec.trainEval ? { trainEval: () => ownedBatches(train, 256) } : {}),
        }, spec.recipe, {
          epochs: spec.epochs,
          // Step decay ×0.1 for the last quarter of the epochs (the papers' schedule, compressed).
          lr: (e) => multiStep(lr, [Math.max(1, Math.ceil(0.75 * spec.epochs))], 0.1)(e - 1),
          evalAttack,
          labelNoise: spec.labelNoise,
          seed,
          onEpoch: (l) => log(`  ${spec.name} epoch ${l.epoch}: loss ${l.trainLoss.toFixed(3)}, train acc ${(100 * l.trainCleanAcc).toFixed(1)}%` +
            (l.testCleanAcc !== null ? `, test clean ${(100 * l.testCleanAcc).toFixed(1)}%` : '') +
            (l.testRobustAcc !== null ? `, PGD-10 ${(100 * l.testRobustAcc).toFixed(1)}%` : '') + `, ${l.seconds.toFixed(1)} s`),
          onCheckpoint: async (kind, epoch, state, l) => {
            const save = (k: 'best' | 'last') => saveCheckpoint(checkpointPath(cfg, spec.name, studySeed, k), { model: state, metadata: { epoch, recipe: spec.recipe, arch: archMetadata(archOf(spec, cfg)) } });
            if (!spec.validation) return save(kind);
            if (kind !== 'last') return;
            await save('last');
            const robust = l.testRobustAcc ?? NaN;
            if (robust > bestRobust) {
              bestRobust = robust;
              bestEpoch = epoch;
              await save('best');
            }
          },
        });
        const out: TrainedSummary = {
          name: spec.name, arch: spec.arch, recipe: recipeName(spec.recipe), seed: studySeed, log: res.log,
          bestEpoch: spec.validation ? bestEpoch : res.best?.epoch ?? null, robustOverfittingGap: res.robustOverfittingGap, generalizationGap: res.generalizationGap,
          seconds: (performance.now() - t0) / 1000, settings,
        };
        res.best?.state.forEach(([, t]) => t.dispose());
        res.last?.state.forEach(([, t]) => t.dispose());
        return out;
      } finally {
        opt.dispose();
      }
    },
  });
  // Whether trained now or earlier, the weights in use are the last checkpoint's.
  await loadCheckpoint(checkpointPath(cfg, spec.name, studySeed, 'last'), { model });
  return { model, summary };
}

/**
 * The best-robust-accuracy checkpoint of a trained model, as a fresh module of the architecture its
 * metadata records (that of `spec` and `cfg` for checkpoints written before it was recorded).
 */
export async function loadBest(spec: Pick<ModelSpec, 'arch' | 'name'>, cfg: StudyConfig, seed: number): Promise<Module | null> {
  const path = checkpointPath(cfg, spec.name, seed, 'best');
  if (!existsSync(path)) return null;
  return (await loadModel(path, { arch: archOf(spec, cfg), seed })).model;
}
