import { noGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import { DTypeError, RobustlensError, ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Module } from '../nn/module.js';
import { mul } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { checkInputRange, checkLabels, type Norm } from './attacks.js';
import { identity, labelRows, misclassified, putRows, readFlags, takeRows } from './rows.js';

/**
 * What every ensemble attack needs before it starts, checked once: the batch, its labels, the
 * model's clean logits (read back once: they give the classes, the clean accuracy and APGD-T's
 * targets), and a set that collects adversarial rows as attacks find them.
 */
export interface Prepared {
  op: string;
  model: Module;
  /** The caller's batch (not owned). */
  x: Tensor;
  y: Int32Array;
  /** Names each example's random streams (the `indices` option, else its position). */
  ids: Int32Array;
  B: number;
  C: number;
  /** Clean logits, row-major [B, C]. */
  cleanLogits: Float64Array;
  cleanCorrect: Uint8Array;
  /** The C×C identity, owned (see disposePrepared). */
  eye: Tensor;
  batchSize: number;
}

/** Progress of a long attack, for a progress line: how many examples are still robust. */
export interface AttackProgress {
  attack: string;
  /** What just finished, e.g. 'restart 1/5', 'target 3/9', 'query 1200/5000'. */
  stage: string;
  robust: number;
  n: number;
}

/** The outcome of an attack on a batch; the caller owns `x`. */
export interface AttackOutcome {
  /** The adversarial example where the attack succeeded, the clean input elsewhere. */
  x: Tensor;
  /** 1 where the model misclassifies `x` (every clean-misclassified example counts). */
  success: Uint8Array;
  cleanCorrect: Uint8Array;
}

/** Host checks of ε and the norm (no GPU work). */
export function checkThreat(op: string, eps: unknown, norm: unknown): Norm {
  if (!(typeof eps === 'number' && Number.isFinite(eps) && eps >= 0)) throw new ValueError(`${op}: eps ${String(eps)} must be a finite number >= 0`);
  const n = norm ?? 'linf';
  if (n !== 'linf' && n !== 'l2') throw new ValueError(`${op}: norm '${String(n)}' must be 'linf' or 'l2'`);
  return n;
}

/** An integer option >= lo, or its default. */
export function intOption(op: string, name: string, v: unknown, dflt: number, lo = 1): number {
  const x = v ?? dflt;
  if (!(typeof x === 'number' && Number.isInteger(x) && x >= lo)) throw new ValueError(`${op}: ${name} ${String(x)} must be an integer >= ${lo}`);
  return x;
}

/** What the batch-level attacks share besides the threat model. */
export interface BatchOptions {
  /** Examples per forward/backward pass; default 512. */
  batchSize?: number;
  /** Number of classes, to check labels before any GPU work. */
  numClasses?: number;
  /**
   * Dataset index of each example (default its position in x). It names the example's random
   * streams, so an example draws the same numbers in whatever batch it comes: pass `batch.idx`
   * when attacking a dataset batch by batch, else every batch repeats the first one's draws.
   */
  indices?: ArrayLike<number>;
}

/** Host checks of the batch, labels and indices (no GPU work). */
export function checkBatch(op: string, x: Tensor, y: ArrayLike<number>, o: BatchOptions = {}): void {
  if (x.dtype !== 'float32') throw new DTypeError(`${op}: inputs must be float32, got ${x.dtype} ${fmtShape(x.shape)}`);
  if (x.rank < 2 || x.size === 0) throw new ShapeError(`${op}: inputs must be a non-empty batch [B, ...features], got ${fmtShape(x.shape)}`);
  const C = o.numClasses;
  if (C !== undefined && !(Number.isInteger(C) && C >= 2)) throw new ValueError(`${op}: numClasses ${C} must be an integer >= 2`);
  checkLabels(op, 'label', y, x.shape[0]!, C);
  const ix = o.indices;
  if (ix !== undefined) {
    if (ix.length !== x.shape[0]) throw new ShapeError(`${op}: ${ix.length} indices for a batch of ${x.shape[0]}; pass one per example`);
    for (let i = 0; i < ix.length; i++) {
      if (!(Number.isInteger(ix[i]) && ix[i]! >= 0)) throw new ValueError(`${op}: index ${ix[i]} at position ${i} must be an integer >= 0 (a dataset index)`);
    }
  }
  intOption(op, 'batchSize', o.batchSize, 512);
}

/** Run `fn` with the model in eval mode, restoring its mode afterwards (async version of inEvalMode). */
export async function withEvalMode<T>(model: Module, fn: () => Promise<T>): Promise<T> {
  const was = model.training;
  model.eval();
  try {
    return await fn();
  } finally {
    model.train(was);
  }
}

/**
 * Inputs in [0, 1], then the clean forward in chunks of `batchSize`: the model must accept the
 * batch and return logits [B, C] with every label below C. Call with the model in eval mode.
 */
export async function prepareAttack(op: string, model: Module, x: Tensor, y: ArrayLike<number>, o: BatchOptions): Promise<Prepared> {
  checkBatch(op, x, y, o);
  const batchSize = intOption(op, 'batchSize', o.batchSize, 512);
  await checkInputRange(op, x);
  const B = x.shape[0]!;
  const chunks: Float64Array[] = [];
  let C = -1;
  for (let at = 0; at < B; at += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, B - at) }, (_, k) => at + k);
    let z: Tensor;
    try {
      z = noGrad(() => tidy(() => model.forward(idx.length === B ? x : takeRows(x, idx))));
    } catch (e) {
      if (!(e instanceof RobustlensError)) throw e;
      throw new ShapeError(`${op}: the model does not accept a batch of shape ${fmtShape(x.shape)}: ${e.message}`);
    }
    if (z.rank !== 2 || z.shape[0] !== idx.length || (C >= 0 && z.shape[1] !== C)) {
      const got = fmtShape(z.shape);
      z.dispose();
      throw new ShapeError(`${op}: the model must return logits [batch, classes], got ${got} for a batch of ${idx.length}`);
    }
    C = z.shape[1]!;
    chunks.push(Float64Array.from(await z.data()));
    z.dispose();
  }
  if (C < 2) throw new ShapeError(`${op}: the model returns ${C} logit(s) per example; attacks need at least 2 classes`);
  const yy = Int32Array.from(y);
  checkLabels(op, 'label', yy, B, C);
  const cleanLogits = new Float64Array(B * C);
  chunks.reduce((at, c) => (cleanLogits.set(c, at), at + c.length), 0);
  const cleanCorrect = new Uint8Array(B);
  for (let i = 0; i < B; i++) {
    let best = 0;
    for (let j = 1; j < C; j++) if (cleanLogits[i * C + j]! > cleanLogits[i * C + best]!) best = j;
    cleanCorrect[i] = best === yy[i] ? 1 : 0;
  }
  const ids = o.indices ? Int32Array.from(o.indices) : Int32Array.from({ length: B }, (_, i) => i);
  return { op, model, x, y: yy, ids, B, C, cleanLogits, cleanCorrect, eye: identity(C, x.backend), batchSize };
}

export function disposePrepared(p: Prepared): void {
  p.eye.dispose();
}

/** Split indices into chunks of at most `size`. */
export function chunksOf(idx: readonly number[], size: number): number[][] {
  const out: number[][] = [];
  for (let at = 0; at < idx.length; at += size) out.push(idx.slice(at, at + size));
  return out;
}

/**
 * The adversarial batch as attacks fill it: the clean input everywhere at first; a row is replaced
 * only after a forward pass confirms the model misclassifies it, as the reference re-checks every
 * attack's output. `robust[i]` is 1 while example i is clean-correct and unbroken.
 */
export class AdversarialSet {
  adv: Tensor;
  readonly robust: Uint8Array;

  constructor(readonly prep: Prepared) {
    this.adv = tidy(() => mul(prep.x, 1));
    this.robust = Uint8Array.from(prep.cleanCorrect);
  }

  robustIndices(): number[] {
    const out: number[] = [];
    this.robust.forEach((r, i) => r && out.push(i));
    return out;
  }

  get robustCount(): number {
    return this.robust.reduce((s, r) => s + r, 0);
  }

  /**
   * Rows[k] is a candidate for example idx[k] where candidate[k] is 1. Confirms them with a forward
   * pass, writes the confirmed rows into the batch, marks them broken and returns how many.
   */
  async acceptFooled(idx: readonly number[], rows: Tensor, candidate: ArrayLike<number>): Promise<number> {
    const pos: number[] = [];
    for (let k = 0; k < idx.length; k++) if (candidate[k] && this.robust[idx[k]!]) pos.push(k);
    if (pos.length === 0) return 0;
    const { model, y } = this.prep;
    const fooled = await readFlags(
      noGrad(() =>
        tidy(() => {
          const z = model.forward(takeRows(rows, pos));
          return misclassified(z, labelRows(pos.map((k) => y[idx[k]!]!), rows.backend));
        }),
      ),
    );
    const take = new Uint8Array(idx.length);
    pos.forEach((k, j) => (take[k] = fooled[j]!));
    const prev = this.adv;
    this.adv = putRows(prev, rows, idx, take);
    prev.dispose();
    let n = 0;
    take.forEach((t, k) => {
      if (t) {
        this.robust[idx[k]!] = 0;
        n++;
      }
    });
    return n;
  }

  dispose(): void {
    this.adv.dispose();
  }
}

/** Read the outcome of an attack set and hand its batch to the caller. */
export function outcome(set: AdversarialSet): AttackOutcome {
  const cleanCorrect = set.prep.cleanCorrect;
  return { x: set.adv, success: Uint8Array.from(set.robust, (r, i) => (cleanCorrect[i] && r ? 0 : 1)), cleanCorrect: Uint8Array.from(cleanCorrect) };
}

/** Run an ensemble-style attack on a batch: checks, clean pass, the attack, the outcome. */
export async function attackBatch(
  op: string, model: Module, x: Tensor, y: ArrayLike<number>, o: BatchOptions, run: (p: Prepared, set: AdversarialSet) => Promise<void>,
): Promise<AttackOutcome> {
  checkBatch(op, x, y, o);
  return withEvalMode(model, async () => {
    const p = await prepareAttack(op, model, x, y, o);
    const set = new AdversarialSet(p);
    try {
      await run(p, set);
      return outcome(set);
    } catch (e) {
      set.dispose();
      throw e;
    } finally {
      disposePrepared(p);
    }
  });
}
