/**
 * Symmetric label noise (methods.md §3.3, `label_symmetric`): each label is resampled once from
 * row P[y] of P = (r/C)·11ᵀ + (1 − r)·I. The draw for example i depends only on (seed, i), so a
 * dataset's noisy labels are the same whatever the batch order, every epoch.
 */
import type { Batch, BatchSource } from '../data/dataset.js';
import { ValueError } from '../errors.js';
import { Rng } from '../random.js';

export interface LabelNoise {
  rate: number;
  seed: number;
  numClasses: number;
}

export function noisyLabel(y: number, index: number, classes: number, rate: number, seed: number): number {
  const rng = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  return rng.uniform() < rate ? rng.int(classes) : y;
}

export function symmetricLabelNoise(labels: ArrayLike<number>, classes: number, rate: number, seed: number): Int32Array {
  if (!(rate >= 0 && rate <= 1)) throw new ValueError(`symmetricLabelNoise: rate ${rate} must be in [0, 1]`);
  return Int32Array.from({ length: labels.length }, (_, i) => noisyLabel(labels[i]!, i, classes, rate, seed));
}

/** The batches of a source with their labels replaced by the run's fixed noisy labels (batches must carry `idx`). */
export async function* noisyBatches(src: BatchSource<Batch<Int32Array>>, ln: LabelNoise): AsyncGenerator<Batch<Int32Array>> {
  for await (const b of src) {
    if (!b.idx) throw new ValueError('trainRobust: random-label training needs batches with idx (dataset indices)');
    const idx = b.idx;
    yield { ...b, y: Int32Array.from(b.y, (v, i) => noisyLabel(v, idx[i]!, ln.numClasses, ln.rate, ln.seed)) };
  }
}
