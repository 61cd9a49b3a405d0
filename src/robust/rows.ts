import { tidy } from '../engine.js';
import { tensor } from '../ops/creation.js';
import { sub, where } from '../ops/elementwise.js';
import { gather, reshape } from '../ops/layout.js';
import { labelHits } from '../ops/logits.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';

/**
 * Per-example plumbing shared by APGD, Square and AutoAttack: selecting rows of a batch, writing
 * rows back, 0/1 flags, and one random stream per example so that an example's random numbers do
 * not depend on which other examples share its batch (or on the backend).
 */

/** Broadcast a per-example [n] vector over a batch of the given shape: [n, 1, 1, …]. */
export const rowsOf = (v: Tensor, shape: readonly number[]): Tensor => reshape(v, [shape[0]!, ...shape.slice(1).map(() => 1)]);

/** Rows `idx` of x (axis 0), as a new tensor. */
export function takeRows(x: Tensor, idx: ArrayLike<number>): Tensor {
  return tidy(() => gather(x, tensor(Int32Array.from(idx), [idx.length], { dtype: 'int32', backend: x.backend }), 0));
}

/**
 * A copy of `full` whose rows idx[k] are replaced by rows[k] wherever take[k] is 1 (a scatter
 * written as a gather plus a select, the two ops the engine has).
 */
export function putRows(full: Tensor, rows: Tensor, idx: ArrayLike<number>, take: ArrayLike<number>): Tensor {
  const n = full.shape[0]!;
  const from = new Int32Array(n);
  const mask = new Float64Array(n);
  for (let k = 0; k < idx.length; k++) {
    if (!take[k]) continue;
    from[idx[k]!] = k;
    mask[idx[k]!] = 1;
  }
  const opts = { backend: full.backend };
  return tidy(() => {
    const spread = gather(rows, tensor(from, [n], { ...opts, dtype: 'int32' }), 0);
    return where(rowsOf(tensor(mask, [n], opts), full.shape), spread, full);
  });
}

/** The C×C identity (rows are one-hot vectors, picked by `gather`). */
export function identity(C: number, backend: Tensor['backend']): Tensor {
  return tensor(Float64Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0)), [C, C], { backend });
}

/** One-hot rows [n, C] for host labels. */
export function oneHotRows(labels: ArrayLike<number>, C: number, backend: Tensor['backend']): Tensor {
  const v = new Float64Array(labels.length * C);
  for (let i = 0; i < labels.length; i++) v[i * C + labels[i]!] = 1;
  return tensor(v, [labels.length, C], { backend });
}

/** Host labels as an int32 tensor [n] (checked by the caller). */
export const labelRows = (labels: ArrayLike<number>, backend: Tensor['backend']): Tensor => tensor(labels, [labels.length], { dtype: 'int32', backend });

/** [n] 0/1: 1 where argmax z (the first maximum, as every accuracy count here) is not the label (int32 [n]). */
export const misclassified = (z: Tensor, labels: Tensor): Tensor => tidy(() => sub(1, labelHits(z, labels, 'argmax')));

/** Read a [n] 0/1 tensor back as bytes, disposing it. */
export async function readFlags(t: Tensor): Promise<Uint8Array> {
  const v = await t.data();
  t.dispose();
  return Uint8Array.from(v, (x) => (x > 0.5 ? 1 : 0));
}

/**
 * The random stream of one example of one attack run: a hash of (seed, stream name, example index)
 * seeds a fresh generator, so the same example draws the same numbers alone or in any batch.
 */
export function exampleRng(seed: number, stream: string, index: number): Rng {
  let h = (seed >>> 0) ^ 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (index + 0x27d4eb2f), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return new Rng((h ^ (h >>> 16)) >>> 0);
}

/**
 * Dispose the tensors of `old` that `next` no longer holds (fields may share a tensor, and a
 * field may be carried over unchanged).
 */
export function retire(old: Record<string, Tensor>, next: Record<string, Tensor>): void {
  const live = new Set(Object.values(next));
  for (const t of new Set(Object.values(old))) if (!live.has(t)) t.dispose();
}
