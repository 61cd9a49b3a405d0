/**
 * The robust-overfitting measurement (a4, c3): per run, the best checkpoint (the first epoch of highest
 * robust accuracy on a validation split held out from training) and the last one, attacked image by
 * image on test images the validation split never saw, so choosing the epoch cannot inflate the gap.
 */
import type { Module } from '../nn/module.js';
import { robustEvaluate } from '../robust/evaluate.js';
import type { StudyConfig } from './config.js';
import { ownedBatches } from '../data/owned-batches.js';
import type { StudyData } from './data.js';
import { loadBest, type ModelSpec, type TrainedSummary } from './models.js';
import type { OverfitRun } from './results.js';

/** PGD-K (CE, random start) robust correctness of each of the first roGapSize test images, 1 or 0. */
async function perImage(model: Module, set: StudyData['test'], cfg: StudyConfig, seed: number): Promise<number[]> {
  const steps = cfg.sizes.evalSteps;
  const r = await robustEvaluate(model, ownedBatches(set, 250), { type: 'pgd', eps: cfg.eps, steps, alpha: (2.5 * cfg.eps) / steps, loss: 'ce', seed: seed + 303 });
  return Array.from(r.examples.robust);
}

export async function overfitRun(
  spec: ModelSpec, last: Module, trained: TrainedSummary, validationIndices: number[], data: StudyData, cfg: StudyConfig, seed: number,
): Promise<OverfitRun> {
  const set = data.test.take(cfg.sizes.roGapSize);
  const lastOk = await perImage(last, set, cfg, seed);
  const bestEpoch = trained.bestEpoch ?? trained.log.length;
  // The best epoch was the last: the best checkpoint is the last one (no second attack needed).
  const best = bestEpoch === trained.log.length ? null : await loadBest(spec, cfg, seed);
  let bestOk = lastOk;
  try {
    if (best) bestOk = await perImage(best, set, cfg, seed);
  } finally {
    best?.dispose();
  }
  return {
    te: spec.recipe.kind !== 'standard' && 'te' in spec.recipe && !!spec.recipe.te,
    validation: { source: 'train', indices: validationIndices, robustAcc: trained.log.map((l) => l.testRobustAcc ?? NaN) },
    bestEpoch,
    gap: { source: 'test', indices: Array.from({ length: set.length }, (_, i) => i), attack: `PGD-${cfg.sizes.evalSteps}`, best: bestOk, last: lastOk },
  };
}
