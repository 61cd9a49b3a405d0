/**
 * One seed of the study: every model trained (or loaded), then each measurement as its own stage, so
 * that --resume redoes nothing and separate runs (--seed-list) can be merged. The stage names end in
 * -s<seed>; work.ts gives each stage's work for the progress estimate.
 */
import type { Module } from '../nn/module.js';
import { autoAttackEval, type AutoAttackEval } from './autoattack-eval.js';
import type { StudyConfig } from './config.js';
import type { StudyData } from './data.js';
import { distillStudy, evaluateModel, logitStudy, simplicityStudy, type EvalResult } from './experiments.js';
import { loadBest, trainOrLoad, type TrainedSummary } from './models.js';
import { overfitRun } from './overfit.js';
import { rbfCkaMatrix } from './rbf-cka.js';
import { CROSS, EPS_LADDER, HARD_LABELS, MODELS, type ModelEval, type OverfitRun, type SeedResults } from './results.js';
import { benignVsAdversarial, crossModel, withinModel } from './similarity.js';
import { overfitSplit, studySpecs } from './specs.js';
import type { StageRunner } from './stages.js';

/** The models evaluated on the test set, and which of them also get CW-K (the cnn-small ones the papers compare). */
export const EVALUATED = [
  MODELS.cnnStandard, MODELS.cnnPgdAt, MODELS.cnnTrades, MODELS.deepStandard, MODELS.deepPgdAt,
  MODELS.cnnStandardB, MODELS.deepStandardB, ...EPS_LADDER.filter((r) => r.fraction > 0 && r.fraction < 1).map((r) => r.model),
];
const WITH_CW = new Set<string>([MODELS.cnnStandard, MODELS.cnnPgdAt, MODELS.cnnTrades]);
/** The models AutoAttack and the masking checks run on (those the standard-vs-robust findings rest on). */
export const AUTOATTACKED = [MODELS.cnnStandard, MODELS.cnnPgdAt, MODELS.cnnTrades, MODELS.deepStandard, MODELS.deepPgdAt];
const WITHIN = [MODELS.cnnStandard, MODELS.cnnPgdAt, MODELS.deepStandard, MODELS.deepPgdAt, MODELS.deepStandardB];
const BENIGN_ADV = [MODELS.cnnStandard, MODELS.cnnPgdAt, MODELS.deepStandard, MODELS.deepPgdAt];
const CROSS_PAIRS: Record<string, [string, string]> = {
  [CROSS.cnn]: [MODELS.cnnStandard, MODELS.cnnPgdAt],
  [CROSS.deep]: [MODELS.deepStandard, MODELS.deepPgdAt],
  [CROSS.cnnControl]: [MODELS.cnnStandard, MODELS.cnnStandardB],
  [CROSS.deepControl]: [MODELS.deepStandard, MODELS.deepStandardB],
};
const LOGIT_MODELS = [MODELS.cnnStandard, MODELS.cnnStandardB, MODELS.cnnPgdAt, MODELS.cnnTrades, ...EPS_LADDER.map((r) => r.model)];
const OVERFIT = [MODELS.roPgdAt, MODELS.roPgdAtTe];

/** Every stage of one seed, in order; `models` is filled as models are trained and disposed by the caller. */
export async function runSeed(runner: StageRunner, cfg: StudyConfig, seed: number, data: StudyData, models: Record<string, Module>, log: (m: string) => void): Promise<SeedResults> {
  const split = overfitSplit(data, cfg);
  const specs = studySpecs(cfg, seed, { randomLabel: data.train.take(cfg.sizes.randomLabelSize), overfitTrain: split.train, overfitValidation: split.validation });
  const trained: Record<string, TrainedSummary> = {};
  for (const spec of specs) {
    const { model, summary } = await trainOrLoad(runner, spec, data, cfg, seed, log);
    models[spec.name] = model;
    trained[spec.name] = summary;
  }
  const m = (n: string) => models[n]!;
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const evals = await runner.run<Record<string, EvalResult>>({
    name: `eval-s${seed}`,
    run: async () => {
      const out: Record<string, EvalResult> = {};
      for (const n of EVALUATED) {
        out[n] = await evaluateModel(m(n), data, cfg, seed, WITH_CW.has(n));
        log(`  ${n}: clean ${pct(out[n].clean)}, PGD-${out[n].steps} ${pct(out[n].pgd)}` + (Number.isFinite(out[n].cw) ? `, CW ${pct(out[n].cw)}` : ''));
      }
      return out;
    },
  });
  const aa = await runner.run<Record<string, AutoAttackEval>>({
    name: `autoattack-s${seed}`,
    run: async () => {
      const out: Record<string, AutoAttackEval> = {};
      for (const n of AUTOATTACKED) {
        out[n] = await autoAttackEval(m(n), data, cfg, seed);
        log(`  ${n}: AutoAttack ${pct(out[n].robustAccuracy)} on ${out[n].n} images; masking checks: ${out[n].masking.map((c) => `${c.name} ${c.status}`).join(', ')}`);
      }
      return out;
    },
  });
  const evalWithAa: Record<string, ModelEval> = Object.fromEntries(Object.entries(evals).map(([n, e]) => [n, { ...e, autoAttack: aa[n]?.robustAccuracy ?? null }]));
  const cka = await runner.run<Omit<SeedResults['cka'], 'rbf'>>({
    name: `cka-s${seed}`,
    run: async () => {
      const within: SeedResults['cka']['within'] = {};
      for (const n of WITHIN) within[n] = await withinModel(m(n), data, cfg);
      const cross: SeedResults['cka']['cross'] = {};
      for (const [k, [a, b]] of Object.entries(CROSS_PAIRS)) cross[k] = await crossModel(m(a), m(b), data, cfg);
      const benignAdv: SeedResults['cka']['benignAdv'] = {};
      for (const n of BENIGN_ADV) benignAdv[n] = await benignVsAdversarial(m(n), data, cfg, seed);
      // a4: best vs last checkpoint of the robust-overfitting run (null when the best epoch was the last).
      const bestLast: SeedResults['cka']['bestLast'] = {};
      const spec = specs.find((s) => s.name === MODELS.roPgdAt)!;
      const t = trained[MODELS.roPgdAt]!;
      const best = t.bestEpoch !== null && t.bestEpoch !== t.log.length ? await loadBest(spec, cfg, seed) : null;
      try {
        bestLast[MODELS.roPgdAt] = best ? await crossModel(best, m(MODELS.roPgdAt), data, cfg) : null;
      } finally {
        best?.dispose();
      }
      return { within, cross, benignAdv, bestLast };
    },
  });
  const rbf = await runner.run<NonNullable<SeedResults['cka']['rbf']>>({
    name: `rbf-cka-s${seed}`,
    run: async () => {
      const within: SeedResults['cka']['within'] = {};
      for (const n of [MODELS.deepStandard, MODELS.deepPgdAt]) within[n] = await rbfCkaMatrix(m(n), null, data, cfg);
      const cross: SeedResults['cka']['cross'] = {};
      for (const k of [CROSS.deep, CROSS.deepControl]) cross[k] = await rbfCkaMatrix(m(CROSS_PAIRS[k]![0]), m(CROSS_PAIRS[k]![1]), data, cfg);
      return { within, cross };
    },
  });
  const logits = await runner.run({ name: `logits-s${seed}`, run: () => logitStudy(Object.fromEntries(LOGIT_MODELS.map((n) => [n, m(n)])), data, cfg) });
  const simplicity = await runner.run({ name: `simplicity-s${seed}`, run: () => simplicityStudy({ [MODELS.cnnStandard]: m(MODELS.cnnStandard), [MODELS.cnnPgdAt]: m(MODELS.cnnPgdAt) }, data, cfg, seed) });
  const distill = await runner.run({ name: `distill-s${seed}`, run: () => distillStudy(models, HARD_LABELS, data, cfg, seed, log) });
  const robustOverfitting = await runner.run<Record<string, OverfitRun>>({
    name: `overfit-s${seed}`,
    run: async () => {
      const out: Record<string, OverfitRun> = {};
      for (const n of OVERFIT) {
        out[n] = await overfitRun(specs.find((s) => s.name === n)!, m(n), trained[n]!, split.validationIndices, data, cfg, seed);
        const acc = (v: number[]) => pct(v.reduce((a, b) => a + b, 0) / v.length);
        log(`  ${n}: best epoch ${out[n].bestEpoch} of ${trained[n]!.log.length} (validation), robust on ${out[n].gap.indices.length} test images ${acc(out[n].gap.best)} best, ${acc(out[n].gap.last)} last`);
      }
      return out;
    },
  });
  return { seed, trained, eval: evalWithAa, autoAttack: aa, cka: { ...cka, rbf }, logits, simplicity, distill, robustOverfitting };
}
