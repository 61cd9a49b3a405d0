/**
 * Manipulated teacher logits for distillation (methods.md §4, paper (d)): a teacher's logits used as
 * is, with the non-max logits shuffled or flattened, or with the sorted logit values swapped between
 * examples. The manipulations are host-side permutations of a few numbers per example (float64),
 * seeded by `Rng`; `teacherLogits` makes a teacher source for the distillation step of train/distill.ts.
 */
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Module } from '../nn/module.js';
import { tensor } from '../ops/creation.js';
import { mul } from '../ops/elementwise.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import type { TeacherSource } from '../train/distill.js';

export type Manipulation = 'none' | 'shuffleNonMax' | 'flattenNonMax' | 'swapConfidence';
export const MANIPULATIONS: readonly Manipulation[] = ['none', 'shuffleNonMax', 'flattenNonMax', 'swapConfidence'];

export interface ManipulateOptions {
  /** Seed (or stream) for the shuffles. */
  seed?: number | Rng;
  /**
   * flattenNonMax: 'mean' replaces the non-max logits by their mean (keeps the max logit; the
   * confidence changes); 'logsumexp' uses log(Σ_{j≠max} e^{z_j} / (C−1)), which also keeps the
   * softmax confidence exactly.
   */
  flatten?: 'mean' | 'logsumexp';
  /**
   * swapConfidence: 'partner' (default) takes another example's sorted values; 'classProfile' takes
   * the mean sorted profile of the batch's examples with the same argmax class (sample-specific
   * confidence removed, class-level confidence kept).
   */
  swap?: 'partner' | 'classProfile';
}

/** Class indices of a row in decreasing logit order; ties keep the lower index first (so [0] is argmax). */
function order(row: ArrayLike<number>): number[] {
  return Array.from({ length: row.length }, (_, j) => j).sort((a, b) => row[b]! - row[a]! || a - b);
}

/**
 * Apply a manipulation to logits given as `rows` × `classes` values (row-major); returns a new
 * Float64Array. Every variant keeps each row's argmax (for tie-free rows); shuffleNonMax and
 * flattenNonMax keep the max logit. swapConfidence gives row i the sorted values of row π(i), where
 * π is a seeded permutation with no fixed points (n > 1), placed in row i's own class order (or a
 * class-average profile, see `swap`). If the donor's top values tie, the argmax may move to the
 * lower-indexed of the tied classes.
 */
export function manipulateRows(z: ArrayLike<number>, rows: number, classes: number, kind: Manipulation, opts: ManipulateOptions = {}): Float64Array {
  if (!Number.isInteger(classes) || classes < 1 || z.length !== rows * classes) {
    throw new ShapeError(`manipulateLogits: ${z.length} values do not form ${rows} rows of ${classes} logits`);
  }
  if (!MANIPULATIONS.includes(kind)) throw new ValueError(`manipulateLogits: unknown manipulation '${kind}'; use one of ${MANIPULATIONS.join(', ')}`);
  const rng = typeof opts.seed === 'object' ? opts.seed : new Rng(opts.seed ?? 0);
  const out = Float64Array.from(z);
  const row = (i: number): Float64Array => out.subarray(i * classes, (i + 1) * classes);
  if (kind === 'none' || classes === 1) return out;
  if (kind === 'swapConfidence') {
    const src = Array.from(z as ArrayLike<number>);
    const sortedOf = (i: number): number[] => src.slice(i * classes, (i + 1) * classes).sort((a, b) => b - a);
    const orders = Array.from({ length: rows }, (_, i) => order(src.slice(i * classes, (i + 1) * classes)));
    const values: number[][] = new Array(rows);
    if (opts.swap === 'classProfile') {
      const profiles = new Map<number, { sum: number[]; n: number }>();
      for (let i = 0; i < rows; i++) {
        const p = profiles.get(orders[i]![0]!) ?? { sum: new Array<number>(classes).fill(0), n: 0 };
        sortedOf(i).forEach((v, r) => (p.sum[r]! += v));
        p.n++;
        profiles.set(orders[i]![0]!, p);
      }
      for (let i = 0; i < rows; i++) {
        const p = profiles.get(orders[i]![0]!)!;
        values[i] = p.sum.map((v) => v / p.n);
      }
    } else {
      const perm = rng.permutation(rows);
      // A cyclic shift of a random order: no example keeps its own values (when rows > 1).
      for (let j = 0; j < rows; j++) values[perm[j]!] = sortedOf(perm[(j + 1) % rows]!);
    }
    for (let i = 0; i < rows; i++) {
      const r = row(i);
      orders[i]!.forEach((cls, rank) => (r[cls] = values[i]![rank]!));
    }
    return out;
  }
  for (let i = 0; i < rows; i++) {
    const r = row(i);
    const top = order(r)[0]!;
    const others = Array.from({ length: classes }, (_, j) => j).filter((j) => j !== top);
    if (kind === 'shuffleNonMax') {
      const vals = others.map((j) => r[j]!);
      const p = rng.permutation(others.length);
      others.forEach((j, k) => (r[j] = vals[p[k]!]!));
    } else {
      let v: number;
      if (opts.flatten === 'logsumexp') {
        const m = Math.max(...others.map((j) => r[j]!));
        v = m + Math.log(others.reduce((a, j) => a + Math.exp(r[j]! - m), 0) / others.length);
      } else {
        v = others.reduce((a, j) => a + r[j]!, 0) / others.length;
      }
      for (const j of others) r[j] = v;
    }
  }
  return out;
}

/** `manipulateRows` for a logits tensor [B, C]; returns a new tensor on the same backend. */
export async function manipulateLogits(logits: Tensor, kind: Manipulation, opts: ManipulateOptions = {}): Promise<Tensor> {
  if (logits.rank !== 2) throw new ShapeError(`manipulateLogits: logits must be [batch, classes], got ${fmtShape(logits.shape)}`);
  const [B, C] = logits.shape as [number, number];
  if (kind === 'none') return tidy(() => mul(logits, 1));
  const v = await logits.data();
  return tensor(manipulateRows(v, B, C, kind, opts), [B, C], { backend: logits.backend });
}

/** A teacher model (run in eval mode, no gradient) with a manipulation applied per batch, seeded per step. */
export function teacherLogits(teacher: Module, kind: Manipulation = 'none', opts: ManipulateOptions & { seed?: number } = {}): TeacherSource {
  const seed = typeof opts.seed === 'number' ? opts.seed : 0;
  return async (x, step) => {
    const wasTraining = teacher.training;
    teacher.eval();
    const z = noGrad(() => teacher.forward(x));
    teacher.train(wasTraining);
    try {
      return await manipulateLogits(z, kind, { ...opts, seed: new Rng(seed).fork(`distill-${step}`) });
    } finally {
      z.dispose();
    }
  };
}
