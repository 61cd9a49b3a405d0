import type { Dataset } from '../data/dataset.js';
import { loadNamedDataset } from '../data/datasets-node.js';
import type { StudyConfig } from './config.js';

export interface StudyData {
  name: string;
  train: Dataset;
  test: Dataset;
}

/** The study's data: the configured named dataset's seeded subsets (src/data/datasets-node.ts). */
export function loadStudyData(cfg: StudyConfig, seed: number): Promise<StudyData> {
  return loadNamedDataset({ name: cfg.data, dir: cfg.dataDir, trainSize: cfg.sizes.trainSize, testSize: cfg.sizes.testSize, seed });
}
