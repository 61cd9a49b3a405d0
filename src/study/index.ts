import { engine } from '../engine.js';
import type { Module } from '../nn/module.js';
import type { StudyConfig } from './config.js';
import { loadStudyData } from './data.js';
import type { Verdict } from './findings/index.js';
import { writeStudyOutputs } from './output.js';
import { RESULTS_SCHEMA, type AdapterInfo, type SeedResults } from './results.js';
import { runSeed } from './seed-run.js';
import { StageRunner } from './stages.js';
import { studyWork } from './work.js';
import { DATASET_SHAPES } from '../data/datasets-node.js';

export interface StudyOutput {
  resultsPath: string;
  reportPath: string;
  seeds: SeedResults[];
  /** One verdict per finding, over all seeds. */
  verdicts: Record<string, Verdict>;
  seconds: number;
}

/** Runs every stage of the study for each seed of cfg.seedList and writes results.json and report.html. */
export async function runStudy(cfg: StudyConfig, log: (m: string) => void): Promise<StudyOutput> {
  const t0 = performance.now();
  const all: SeedResults[] = [];
  let dataName = '';
  const runner = new StageRunner({ outDir: cfg.outDir, log }, cfg.resume, studyWork(cfg, DATASET_SHAPES[cfg.data]));
  for (const seed of cfg.seedList) {
    const data = await loadStudyData(cfg, seed);
    dataName = data.name;
    log(`seed ${seed}: ${data.name}, ${data.train.length} training and ${data.test.length} test images`);
    const models: Record<string, Module> = {};
    try {
      all.push(await runSeed(runner, cfg, seed, data, models, log));
    } finally {
      for (const m of Object.values(models)) m.dispose();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const rt = engine.runtime?.adapter;
  const out = await writeStudyOutputs(cfg.outDir, {
    schema: RESULTS_SCHEMA, config: cfg, dataName, adapter: (rt ?? null) as AdapterInfo,
    seconds, stageSeconds: runner.computeSeconds, resumedSeconds: runner.resumedSeconds, stageTimes: runner.stageSeconds, seeds: all,
  });
  for (const [id, why] of Object.entries(out.missing)) log(`${id}: not measured (inconclusive): ${why}`);
  for (const [id, why] of Object.entries(out.errors)) log(`${id}: NOT JUDGED, the results contradict the design (inconclusive): ${why}`);
  return { ...out, seeds: all, seconds };
}
