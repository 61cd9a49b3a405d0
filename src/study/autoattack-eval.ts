/**
 * AutoAttack beside PGD-K for each evaluated model (issue 16 §8): the robust accuracy the floors and
 * the models table use where present, with the gradient-masking checks of the same evaluation, on the
 * first aaSize test images (a budget-sized subset; the sizes and attack settings go into results.json).
 */
import type { Module } from '../nn/module.js';
import { autoAttack } from '../robust/autoattack.js';
import { gradientMaskingChecks, type MaskingCheck } from '../robust/masking.js';
import type { StudyConfig } from './config.js';
import type { StudyData } from './data.js';

export interface AutoAttackEval {
  n: number;
  cleanAccuracy: number;
  robustAccuracy: number;
  /** Robust accuracy after each attack of the ensemble (cumulative), and what each cost. */
  stages: { attack: string; robustAccuracy: number; seconds: number }[];
  settings: { eps: number; steps: number; nQueries: number; version: string };
  masking: MaskingCheck[];
}

export async function autoAttackEval(model: Module, data: StudyData, cfg: StudyConfig, seed: number): Promise<AutoAttackEval> {
  const s = cfg.sizes;
  const set = data.test.take(s.aaSize);
  const b = set.batches(set.length).next().value!;
  const settings = { eps: cfg.eps, steps: s.aaSteps, nQueries: s.aaQueries, seed: seed + 505, batchSize: 256, numClasses: 10, indices: b.idx };
  try {
    const aa = await autoAttack(model, b.x, b.y, settings);
    aa.x.dispose();
    const masking = await gradientMaskingChecks(model, b.x, b.y, { ...settings, autoAttack: aa });
    return {
      n: aa.n, cleanAccuracy: aa.cleanAccuracy, robustAccuracy: aa.robustAccuracy,
      stages: aa.stages.map((st) => ({ attack: st.attack, robustAccuracy: st.robustAccuracy, seconds: st.seconds })),
      settings: { eps: cfg.eps, steps: s.aaSteps, nQueries: s.aaQueries, version: 'standard (APGD-CE, APGD-T, Square; no FAB-T)' }, masking,
    };
  } finally {
    b.x.dispose();
  }
}
