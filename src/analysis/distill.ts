/**
 * Distillation with manipulated teacher logits (methods.md §4, paper (d)): a student trained on
 * clean inputs only, with the Hinton loss T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)) (+ α·CE), from a
 * teacher whose logits are used as is, with the non-max logits shuffled or flattened, or with the
 * sorted logit values swapped between examples. The manipulations are host-side permutations of a
 * few numbers per example (float64), seeded by `Rng`.
 */
import { noGrad, valueAndGrad } from '../autograd/tape.js';
import { throttle, tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { crossEntropy, klDivergence, type Labels } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { tensor } from '../ops/creation.js';
import { add, mul } from '../ops/elementwise.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';

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

export interface DistillLossOptions {
  /** Softmax temperature T (default 4). */
  temperature?: number;
  /** Weight of the hard-label cross-entropy term (default 0: pure distillation). */
  alpha?: number;
}

/** T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)), averaged over the batch, plus α·CE(z_s, y) when α > 0. */
export function distillLoss(student: Tensor, teacher: Tensor, labels: Labels | undefined, opts: DistillLossOptions = {}): Tensor {
  const T = opts.temperature ?? 4;
  const alpha = opts.alpha ?? 0;
  if (!(T > 0)) throw new ValueError(`distillLoss: temperature ${T} must be > 0`);
  if (!(alpha >= 0)) throw new ValueError(`distillLoss: alpha ${alpha} must be >= 0`);
  if (student.shape.join() !== teacher.shape.join()) {
    throw new ShapeError(`distillLoss: student logits ${fmtShape(student.shape)} and teacher logits ${fmtShape(teacher.shape)} differ`);
  }
  return tidy(() => {
    const kd = mul(klDivergence(mul(teacher, 1 / T), mul(student, 1 / T), 'batchmean'), T * T);
    if (alpha === 0) return kd;
    if (labels === undefined) throw new ValueError('distillLoss: alpha > 0 needs labels');
    return add(kd, mul(crossEntropy(student, labels), alpha));
  });
}

/** Where teacher logits come from: given the batch inputs and the step, logits [B, C] the caller hands over (distill disposes them). */
export type TeacherSource = (x: Tensor, step: number) => Tensor | Promise<Tensor>;

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

export interface DistillOptions extends DistillLossOptions {
  /** Read the loss back every this many steps (default 10); readbacks stall the GPU queue. */
  logEvery?: number;
}

export interface DistillResult {
  steps: number;
  losses: { step: number; loss: number }[];
}

/**
 * Train `student` on clean batches against `teacher` logits with the distillation loss. The student
 * runs in training mode; no adversarial examples are involved. Labels are only used when alpha > 0.
 */
export async function distill(
  student: Module,
  teacher: TeacherSource,
  optimizer: Optimizer,
  batches: Iterable<{ x: Tensor; y?: Labels }> | AsyncIterable<{ x: Tensor; y?: Labels }>,
  opts: DistillOptions = {},
): Promise<DistillResult> {
  const logEvery = opts.logEvery ?? 10;
  const losses: { step: number; loss: number }[] = [];
  let step = 0;
  student.train();
  for await (const { x, y } of batches) {
    await throttle();
    const zt = await teacher(x, step);
    const params = student.parameters();
    let value: Tensor;
    let grads: Tensor[];
    try {
      ({ value, grads } = valueAndGrad(() => distillLoss(student.forward(x), zt, y, opts), params));
    } finally {
      zt.dispose();
    }
    optimizer.step(params, grads);
    for (const g of grads) g.dispose();
    if (step % logEvery === 0) {
      const loss = await value.item();
      if (!Number.isFinite(loss)) {
        value.dispose();
        throw new ValueError(`distill: loss became ${loss} at step ${step}; lower the learning rate or the temperature`);
      }
      losses.push({ step, loss });
    }
    value.dispose();
    step++;
  }
  return { steps: step, losses };
}
