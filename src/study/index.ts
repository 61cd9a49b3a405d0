import { join } from 'node:path';
import { engine } from '../engine.js';
import type { StudyConfig } from './config.js';
import { loadStudyData } from './data.js';
import { writeTextAtomic } from '../data/fs-node.js';
import { distillStudy, evaluateModel, logitStudy, simplicityStudy, type EvalResult } from './experiments.js';
import type { Verdict } from './findings/index.js';
import { loadBest, trainOrLoad, type ModelSpec, type TrainedSummary } from './models.js';
import { writeStudyOutputs } from './output.js';
import { RESULTS_SCHEMA, type AdapterInfo, type SeedResults } from './results.js';
import { benignVsAdversarial, crossModel, withinModel } from './similarity.js';
import { StageRunner } from './stages.js';
import type { Module } from '../nn/module.js';

export interface StudyOutput {
  resultsPath: string;
  reportPath: string;
  seeds: SeedResults[];
  /** One verdict per finding, over all seeds. */
  verdicts: Record<string, Verdict>;
  seconds: number;
}

function specs(cfg: StudyConfig, seed: number, rlTrain: ModelSpec['train']): ModelSpec[] {
  const s = cfg.sizes;
  const attack = { eps: cfg.eps, steps: s.trainSteps, alpha: (2.5 * cfg.eps) / s.trainSteps };
  const deepAttack = { eps: cfg.eps, steps: s.deepTrainSteps, alpha: (2.5 * cfg.eps) / s.deepTrainSteps };
  return [
    { name: 'cnn-standard', arch: 'cnn-small', recipe: { kind: 'standard' }, epochs: s.epochs },
    { name: 'cnn-pgd-at', arch: 'cnn-small', recipe: { kind: 'pgd-at', attack }, epochs: s.epochs },
    { name: 'cnn-trades', arch: 'cnn-small', recipe: { kind: 'trades', beta: cfg.beta, attack }, epochs: s.epochs },
    { name: 'deep-standard', arch: 'plain-cnn', recipe: { kind: 'standard' }, epochs: s.deepEpochs },
    { name: 'deep-pgd-at', arch: 'plain-cnn', recipe: { kind: 'pgd-at', attack: deepAttack }, epochs: s.deepEpochs },
    // Memorisation (methods.md §3.3, §7): every label resampled uniformly once, no weight decay, the
    // smaller ε §7 suggests for random labels, and Adam with small batches so that a few hundred
    // steps fit the budget (the paper's 300 SGD epochs do not).
    ...(['pgd-at', 'trades'] as const).map((k): ModelSpec => {
      const rlAttack = { eps: cfg.eps / 2, steps: 3, alpha: (2.5 * cfg.eps) / 2 / 3 };
      return {
        name: `rl-${k}`, arch: 'cnn-small',
        recipe: k === 'pgd-at' ? { kind: 'pgd-at', attack: rlAttack } : { kind: 'trades', beta: cfg.beta, attack: rlAttack },
        epochs: s.randomLabelEpochs, labelNoise: { rate: 1, seed: seed + 99, numClasses: 10 },
        train: rlTrain, weightDecay: 0, lr: 1e-3, adam: true, batchSize: 32, trainEval: true,
      };
    }),
  ];
}

/** Runs every stage of the study for each seed and writes results.json and report.html. */
export async function runStudy(cfg: StudyConfig, log: (m: string) => void): Promise<StudyOutput> {
  const t0 = performance.now();
  const all: SeedResults[] = [];
  let dataName = '';
  const stageTime = { compute: 0, resumed: 0 };
  for (let seed = 0; seed < cfg.seeds; seed++) {
    // Relative stage costs, from the seconds each stage took in a measured default run (README).
    const plan: Record<string, number> = {
      'train-cnn-standard': 31, 'train-cnn-pgd-at': 128, 'train-cnn-trades': 156, 'train-deep-standard': 25,
      'train-deep-pgd-at': 48, 'train-rl-pgd-at': 119, 'train-rl-trades': 125, eval: 138, cka: 62, logits: 2, simplicity: 21, distill: 142,
    };
    const runner = new StageRunner({ outDir: cfg.outDir, log }, cfg.resume,
      Object.fromEntries(Object.entries(plan).map(([k, v]) => [`${k}-s${seed}`, v])));
    const data = await loadStudyData(cfg, seed);
    dataName = data.name;
    log(`seed ${seed}: ${data.name}, ${data.train.length} training and ${data.test.length} test images`);
    const models: Record<string, Module> = {};
    const trained: Record<string, TrainedSummary> = {};
    try {
      for (const spec of specs(cfg, seed, data.train.take(cfg.sizes.randomLabelSize))) {
        const { model, summary } = await trainOrLoad(runner, spec, data, cfg, seed, log);
        models[spec.name] = model;
        trained[spec.name] = summary;
      }
      const main = ['cnn-standard', 'cnn-pgd-at', 'cnn-trades', 'deep-standard', 'deep-pgd-at'];
      const evals = await runner.run<Record<string, EvalResult>>({
        name: `eval-s${seed}`,
        run: async () => {
          const out: Record<string, EvalResult> = {};
          for (const n of main) {
            // CW-20 for the cnn-small models (the attack-strength check); the deep CNN gets PGD-20 only (budget).
            out[n] = await evaluateModel(models[n]!, data, cfg, seed, n.startsWith('cnn-'));
            log(`  ${n}: clean ${(100 * out[n].clean).toFixed(1)}%, PGD-${out[n].steps} ${(100 * out[n].pgd).toFixed(1)}%` + (Number.isFinite(out[n].cw) ? `, CW ${(100 * out[n].cw).toFixed(1)}%` : ''));
          }
          return out;
        },
      });
      const cka = await runner.run<SeedResults['cka']>({
        name: `cka-s${seed}`,
        run: async () => {
          const within: SeedResults['cka']['within'] = {};
          for (const n of ['cnn-standard', 'cnn-pgd-at', 'deep-standard', 'deep-pgd-at']) within[n] = await withinModel(models[n]!, data, cfg);
          const cross = {
            cnn: await crossModel(models['cnn-standard']!, models['cnn-pgd-at']!, data, cfg),
            deep: await crossModel(models['deep-standard']!, models['deep-pgd-at']!, data, cfg),
          };
          const benignAdv: SeedResults['cka']['benignAdv'] = {};
          for (const n of ['cnn-standard', 'cnn-pgd-at', 'deep-standard', 'deep-pgd-at']) benignAdv[n] = await benignVsAdversarial(models[n]!, data, cfg, seed);
          const bestLast: SeedResults['cka']['bestLast'] = {};
          for (const n of ['cnn-pgd-at', 'deep-pgd-at']) {
            const spec = specs(cfg, seed, undefined).find((s) => s.name === n)!;
            const best = trained[n]!.bestEpoch !== null && trained[n]!.bestEpoch !== trained[n]!.log.length ? await loadBest(spec, cfg, seed) : null;
            bestLast[n] = best ? await crossModel(best, models[n]!, data, cfg) : null;
            best?.dispose();
          }
          return { within, cross, benignAdv, bestLast };
        },
      });
      const logits = await runner.run({ name: `logits-s${seed}`, run: () => logitStudy({ 'cnn-standard': models['cnn-standard']!, 'cnn-pgd-at': models['cnn-pgd-at']!, 'cnn-trades': models['cnn-trades']! }, data, cfg) });
      const simplicity = await runner.run({ name: `simplicity-s${seed}`, run: () => simplicityStudy({ 'cnn-standard': models['cnn-standard']!, 'cnn-pgd-at': models['cnn-pgd-at']! }, data, cfg, seed) });
      const distill = await runner.run({ name: `distill-s${seed}`, run: () => distillStudy(models, data, cfg, seed, log) });
      all.push({ seed, trained, eval: evals, cka, logits, simplicity, distill });
    } finally {
      stageTime.compute += runner.computeSeconds;
      stageTime.resumed += runner.resumedSeconds;
      for (const m of Object.values(models)) m.dispose();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const rt = engine.runtime?.adapter;
  const out = await writeStudyOutputs(cfg.outDir, {
    schema: RESULTS_SCHEMA, config: cfg, dataName, adapter: (rt ?? null) as AdapterInfo,
    seconds, stageSeconds: stageTime.compute, resumedSeconds: stageTime.resumed, seeds: all,
  });
  for (const [id, why] of Object.entries(out.missing)) log(`${id}: not measured (inconclusive): ${why}`);
  for (const [id, why] of Object.entries(out.errors)) log(`${id}: NOT JUDGED, the results contradict the design (inconclusive): ${why}`);
  return { ...out, seeds: all, seconds };
}
