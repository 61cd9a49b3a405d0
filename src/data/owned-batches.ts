import type { Batch, Dataset } from './dataset.js';

/**
 * The batches of `ds` (shuffled with seed `shuffle` when given), each batch's images freed when the
 * consumer moves on to the next one or stops early: a loop over them never holds more than one
 * batch of images on the GPU.
 */
export function* ownedBatches(ds: Dataset, batchSize: number, shuffle?: number): Generator<Batch<Int32Array> & { idx: Int32Array }> {
  for (const b of ds.batches(batchSize, shuffle === undefined ? {} : { shuffle })) {
    try {
      yield b;
    } finally {
      b.x.dispose();
    }
  }
}
