import type { Batch, BatchSource } from '../data/dataset.js';
import { throttle } from '../engine.js';
import type { Module } from '../nn/module.js';
import { ValueError } from '../errors.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { fgsmOptions, type FgsmOptions } from './fgsm.js';
import { pgdTensors, readAttack, type AttackTensors } from './pgd.js';
import { checkInputRange, resolvePgd, type PgdOptions } from './pgd-options.js';

/** An attack for evaluation: PGD or FGSM options, or any function queuing an attack on a batch. */
export type AttackSpec =
  | ({ type: 'pgd' } & PgdOptions)
  | ({ type: 'fgsm' } & FgsmOptions)
  | ((model: Module, x: Tensor, y: Int32Array) => AttackTensors);

/** Per-example results, one entry per evaluated example, in evaluation order. */
export interface ExampleResults {
  /** Dataset index (batch.idx when given, else the running position). */
  index: Int32Array;
  label: Int32Array;
  cleanCorrect: Uint8Array;
  /** Correct on the clean input and on the returned point of every restart. */
  robust: Uint8Array;
  /** First PGD iterate (0 = start) at which some restart fooled the model, −1 if none did. */
  firstStep: Int32Array;
  /** The attack objective at the returned point. */
  loss: Float64Array;
}

export interface RobustEvaluation {
  n: number;
  cleanAccuracy: number;
  robustAccuracy: number;
  examples: ExampleResults;
}

/** Turn an attack spec into a batch attack; one Rng across batches, so one seed fixes the whole run. */
export function attackFn(spec: AttackSpec): (model: Module, x: Tensor, y: Int32Array) => AttackTensors {
  if (typeof spec === 'function') return spec;
  if (spec.type !== 'pgd' && spec.type !== 'fgsm') throw new ValueError(`attack: type '${String((spec as { type: unknown }).type)}' must be 'pgd' or 'fgsm'`);
  const opts: PgdOptions = spec.type === 'fgsm' ? fgsmOptions(spec) : spec;
  const rng = opts.seed instanceof Rng ? opts.seed : new Rng(opts.seed ?? 0);
  return (model, x, y) => pgdTensors(model, x, y, resolvePgd(spec.type, x, y, { ...opts, seed: rng }));
}

/**
 * Clean and robust accuracy over batches (methods.md §2.3): model in eval mode; an example is
 * robust iff it is classified correctly clean and at the returned point of every restart.
 * Batches carry host labels (inputs in [0, 1]); their tensors stay owned by the caller.
 */
export async function robustEvaluate(model: Module, batches: BatchSource<Batch<Int32Array>>, attack: AttackSpec): Promise<RobustEvaluation> {
  const run = attackFn(attack);
  const cols = { index: [] as number[], label: [] as number[], clean: [] as number[], robust: [] as number[], first: [] as number[], loss: [] as number[] };
  let pos = 0;
  for await (const batch of batches) {
    await throttle();
    const B = batch.x.shape[0] ?? 0;
    if (batch.idx && batch.idx.length !== B) throw new ValueError(`robustEvaluate: batch has ${B} inputs but ${batch.idx.length} indices`);
    if (typeof attack !== 'function') resolvePgd('robustEvaluate', batch.x, batch.y, attack.type === 'fgsm' ? fgsmOptions(attack) : attack);
    await checkInputRange('robustEvaluate', batch.x);
    const r = await readAttack(run(model, batch.x, batch.y));
    r.x.dispose();
    for (let i = 0; i < B; i++) {
      cols.index.push(batch.idx ? batch.idx[i]! : pos + i);
      cols.label.push(batch.y[i]!);
      cols.clean.push(r.cleanCorrect[i]!);
      cols.robust.push(r.cleanCorrect[i]! && !r.success[i]! ? 1 : 0);
      cols.first.push(r.firstStep[i]!);
      cols.loss.push(r.loss[i]!);
    }
    pos += B;
  }
  const n = cols.index.length;
  const count = (a: number[]) => a.reduce((s, v) => s + v, 0);
  return {
    n,
    cleanAccuracy: n ? count(cols.clean) / n : NaN,
    robustAccuracy: n ? count(cols.robust) / n : NaN,
    examples: {
      index: Int32Array.from(cols.index),
      label: Int32Array.from(cols.label),
      cleanCorrect: Uint8Array.from(cols.clean),
      robust: Uint8Array.from(cols.robust),
      firstStep: Int32Array.from(cols.first),
      loss: Float64Array.from(cols.loss),
    },
  };
}
