import { ShapeError } from '../errors.js';
import { ByteReader } from './bytes.js';
import type { ImageSet } from './idx.js';

/**
 * CIFAR-10 binary batches (data_batch_1.bin … test_batch.bin): records of 3073 bytes, one label
 * byte (0–9) then 3072 pixel bytes, the red, green and blue 32×32 planes in row-major order,
 * which is exactly PyTorch's C×H×W layout. A batch file holds 10,000 records.
 */
export const CIFAR_RECORD = 3073;
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** Parse one or more CIFAR-10 binary batches into images in [0, 1], N×3×32×32. */
export function parseCifar10(bytes: Uint8Array, file = '<cifar>'): ImageSet {
  const r: ByteReader = new ByteReader(bytes, file, 'CIFAR-10');
  if (bytes.length === 0) r.fail(0, 'empty file; a CIFAR-10 batch holds records of 3073 bytes');
  const n = Math.floor(bytes.length / CIFAR_RECORD);
  if (n * CIFAR_RECORD !== bytes.length) {
    const start = n * CIFAR_RECORD;
    r.fail(start, `truncated: record ${n} starting here has ${bytes.length - start} of its ${CIFAR_RECORD} bytes (length is not a multiple of 3073)`);
  }
  const images = new Float32Array(n * 3072);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const at = i * CIFAR_RECORD;
    const label = bytes[at]!;
    if (label > 9) r.fail(at, `record ${i} has label ${label}; CIFAR-10 labels are 0–9 (is this a CIFAR-100 file? it has 2 label bytes)`);
    labels[i] = label;
    const o = i * 3072;
    for (let j = 0; j < 3072; j++) images[o + j] = bytes[at + 1 + j]! / 255;
  }
  return { images, labels, shape: [3, 32, 32], classes: 10 };
}

/** Concatenate several parsed batches (e.g. data_batch_1..5) into one set. */
export function concatImageSets(sets: readonly ImageSet[]): ImageSet {
  if (sets.length === 0) throw new ShapeError('concatImageSets: no sets given');
  const first = sets[0]!;
  for (const s of sets) {
    if (s.shape.join() !== first.shape.join() || s.classes !== first.classes) {
      throw new ShapeError(`concatImageSets: shapes differ ([${s.shape.join(', ')}] vs [${first.shape.join(', ')}])`);
    }
  }
  const images = new Float32Array(sets.reduce((a, s) => a + s.images.length, 0));
  const labels = new Int32Array(sets.reduce((a, s) => a + s.labels.length, 0));
  let io = 0;
  let lo = 0;
  for (const s of sets) {
    images.set(s.images, io);
    labels.set(s.labels, lo);
    io += s.images.length;
    lo += s.labels.length;
  }
  return { images, labels, shape: first.shape, classes: first.classes };
}
