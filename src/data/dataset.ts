import type { Backend } from '../backend/types.js';
import { getBackend } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';

/** One minibatch: `x` is a new tensor the caller owns (dispose it); `idx` are dataset indices. */
export interface Batch {
  x: Tensor;
  y: Int32Array;
  idx: Int32Array;
}

export interface Augment {
  /** Zero-pad each side by this many pixels, then crop back to H×W at a random offset (PyTorch RandomCrop(padding=p)). */
  cropPadding?: number;
  /** Mirror left-right with probability 1/2 (RandomHorizontalFlip). */
  flip?: boolean;
}

export interface BatchOptions {
  /** Shuffle with this seed (or Rng stream); omit to keep the dataset order. */
  shuffle?: number | Rng;
  /** Drop a final batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  augment?: Augment;
  /** Seed of the augmentation draws; default: a fork of the shuffle stream, else 0. */
  augmentSeed?: number | Rng;
  backend?: Backend<any>;
}

const asRng = (s: number | Rng): Rng => (typeof s === 'number' ? new Rng(s) : s);

/**
 * An in-memory image classification set: `images` is N×C×H×W float32 (row-major, PyTorch layout),
 * `labels` int32 in [0, classes). Host memory only; `batches` uploads one batch at a time.
 */
export class Dataset {
  readonly length: number;
  readonly shape: readonly [number, number, number];

  constructor(
    readonly images: Float32Array,
    readonly labels: Int32Array,
    shape: readonly [number, number, number] | readonly number[],
    readonly classes: number,
    readonly name = 'dataset',
  ) {
    if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ShapeError(`Dataset ${name}: shape must be [C, H, W] with positive integers, got ${fmtShape(shape)}`);
    }
    this.shape = [shape[0]!, shape[1]!, shape[2]!];
    const per = shape[0]! * shape[1]! * shape[2]!;
    this.length = labels.length;
    if (images.length !== labels.length * per) {
      throw new ShapeError(`Dataset ${name}: ${images.length} image values do not match ${labels.length} labels × ${fmtShape(shape)} (${labels.length * per})`);
    }
    if (!Number.isInteger(classes) || classes < 1) throw new ValueError(`Dataset ${name}: classes must be a positive integer, got ${classes}`);
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l < 0 || l >= classes) throw new ValueError(`Dataset ${name}: label ${l} of example ${i} is outside [0, ${classes})`);
    }
  }

  /** Values per example (C·H·W). */
  get exampleSize(): number {
    return this.shape[0] * this.shape[1] * this.shape[2];
  }

  /** The examples at `indices`, in that order (copied). */
  subset(indices: ArrayLike<number>, name = `${this.name}[subset]`): Dataset {
    const per = this.exampleSize;
    const images = new Float32Array(indices.length * per);
    const labels = new Int32Array(indices.length);
    for (let j = 0; j < indices.length; j++) {
      const i = indices[j]!;
      if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new ValueError(`Dataset ${this.name}.subset: index ${i} (position ${j}) is outside [0, ${this.length})`);
      images.set(this.images.subarray(i * per, (i + 1) * per), j * per);
      labels[j] = this.labels[i]!;
    }
    return new Dataset(images, labels, this.shape, this.classes, name);
  }

  /** The first n examples. */
  take(n: number): Dataset {
    const m = Math.min(n, this.length);
    return this.subset(Int32Array.from({ length: m }, (_, i) => i), `${this.name}[:${m}]`);
  }

  /** The same images with other labels (e.g. from randomizeLabels). */
  withLabels(labels: Int32Array, name = `${this.name}+labels`): Dataset {
    if (labels.length !== this.length) throw new ShapeError(`Dataset ${this.name}.withLabels: ${labels.length} labels for ${this.length} examples`);
    return new Dataset(this.images, labels, this.shape, this.classes, name);
  }

  /** A seeded permutation of 0..length-1 (Fisher–Yates on the given stream). */
  permutation(seed: number | Rng): Int32Array {
    return asRng(seed).permutation(this.length);
  }

  /** Number of batches `batches(batchSize, { dropLast })` yields. */
  batchCount(batchSize: number, dropLast = false): number {
    return dropLast ? Math.floor(this.length / batchSize) : Math.ceil(this.length / batchSize);
  }

  /**
   * Minibatches as tensors [B, C, H, W] on the current (or given) backend, in dataset order or a
   * seeded shuffle, optionally augmented on the host. Each `x` belongs to the caller.
   */
  *batches(batchSize: number, opts: BatchOptions = {}): Generator<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError(`Dataset ${this.name}.batches: batchSize must be a positive integer, got ${batchSize}`);
    const order = opts.shuffle !== undefined ? this.permutation(opts.shuffle) : Int32Array.from({ length: this.length }, (_, i) => i);
    const aug = opts.augment;
    // Augmentation draws come from their own stream: augmentSeed when given, else a fork of the
    // shuffle seed, so that turning augmentation on does not change the batch order.
    let augRng: Rng | null = null;
    if (aug) {
      if (opts.augmentSeed !== undefined) augRng = asRng(opts.augmentSeed);
      else if (opts.shuffle instanceof Rng) augRng = opts.shuffle.fork('augment');
      else augRng = new Rng(opts.shuffle ?? 0).fork('augment');
    }
    const backend = opts.backend ?? getBackend();
    const per = this.exampleSize;
    const count = this.batchCount(batchSize, opts.dropLast ?? false);
    for (let b = 0; b < count; b++) {
      const idx = order.slice(b * batchSize, Math.min((b + 1) * batchSize, this.length));
      const n = idx.length;
      const xs = new Float32Array(n * per);
      const y = new Int32Array(n);
      for (let j = 0; j < n; j++) {
        const i = idx[j]!;
        xs.set(this.images.subarray(i * per, (i + 1) * per), j * per);
        y[j] = this.labels[i]!;
      }
      if (aug && augRng) cropFlip(xs, n, this.shape, aug, augRng);
      yield { x: tensor(xs, [n, ...this.shape], { backend }), y, idx };
    }
  }
}

/**
 * Random crop with zero padding and horizontal flip, in place on n examples of shape [C, H, W].
 * Per example the draws are, in order: dy, dx in [0, 2p] (when p > 0), then the flip coin (when
 * enabled), so the same stream gives the same augmentation on every backend.
 */
export function cropFlip(xs: Float32Array, n: number, shape: readonly [number, number, number], aug: Augment, rng: Rng): void {
  const [c, h, w] = shape;
  const p = aug.cropPadding ?? 0;
  if (!Number.isInteger(p) || p < 0) throw new ValueError(`cropFlip: cropPadding must be a non-negative integer, got ${p}`);
  const per = c * h * w;
  const tmp = new Float32Array(per);
  for (let e = 0; e < n; e++) {
    const dy = p > 0 ? rng.int(2 * p + 1) - p : 0;
    const dx = p > 0 ? rng.int(2 * p + 1) - p : 0;
    const flip = aug.flip ? rng.uniform() < 0.5 : false;
    if (dy === 0 && dx === 0 && !flip) continue;
    const img = xs.subarray(e * per, (e + 1) * per);
    // out(y, x) = padded(y + p + dy', x + p + dx') = in(y + dy, x + dx), zero outside; flip after the crop.
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        const sy = y + dy;
        for (let x = 0; x < w; x++) {
          const ox = flip ? w - 1 - x : x;
          const sx = x + dx;
          tmp[(ch * h + y) * w + ox] = sy >= 0 && sy < h && sx >= 0 && sx < w ? img[(ch * h + sy) * w + sx]! : 0;
        }
      }
    }
    img.set(tmp);
  }
}

/**
 * Symmetric label noise (methods.md §3.3, `label_symmetric`): with transition matrix
 * P = (r/C)·11ᵀ + (1−r)·I, each label y is resampled once from row P[y]. One uniform draw per
 * label, inverted through the row's CDF, so the stream position never depends on the labels.
 * With r = 1 every label is uniform over the C classes (about 1/C keep their true value).
 */
export function randomizeLabels(labels: Int32Array, classes: number, rate: number, seed: number | Rng): Int32Array {
  if (!(rate >= 0 && rate <= 1)) throw new ValueError(`randomizeLabels: rate must lie in [0, 1], got ${rate}`);
  if (!Number.isInteger(classes) || classes < 1) throw new ValueError(`randomizeLabels: classes must be a positive integer, got ${classes}`);
  const rng = asRng(seed);
  const out = new Int32Array(labels.length);
  const off = rate / classes;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y < 0 || y >= classes) throw new ValueError(`randomizeLabels: label ${y} at ${i} is outside [0, ${classes})`);
    const u = rng.uniform();
    let acc = 0;
    let pick = classes - 1; // rounding guard: the CDF may end a hair below 1
    for (let j = 0; j < classes; j++) {
      acc += off + (j === y ? 1 - rate : 0);
      if (u < acc) {
        pick = j;
        break;
      }
    }
    out[i] = pick;
  }
  return out;
}

/** A seeded train/test split: a permutation of the indices, the first `testSize` go to test. */
export function splitDataset(ds: Dataset, testSize: number, seed: number | Rng): { train: Dataset; test: Dataset } {
  if (!Number.isInteger(testSize) || testSize < 0 || testSize > ds.length) throw new ValueError(`splitDataset: testSize ${testSize} is outside [0, ${ds.length}]`);
  const perm = ds.permutation(seed);
  return {
    test: ds.subset(perm.subarray(0, testSize), `${ds.name}/test`),
    train: ds.subset(perm.subarray(testSize), `${ds.name}/train`),
  };
}

/**
 * Batches whose tensors are freed when the consumer moves on (or stops early): a loop over them
 * never holds more than one batch of images on the GPU.
 */
export function* ownedBatches(ds: Dataset, batchSize: number, shuffle?: number): Generator<Batch> {
  for (const b of ds.batches(batchSize, shuffle === undefined ? {} : { shuffle })) {
    try {
      yield b;
    } finally {
      b.x.dispose();
    }
  }
}
