/**
 * What each model sees in `robustlens cka`: an input source maps a batch of test examples to the
 * inputs of model A and of model B (the same examples, in the same order). Adversarial inputs come
 * either per model (each model attacked itself) or shared (the examples made against model A, shown
 * to both). Adding an attack is one entry in INPUT_SOURCES, e.g. for AutoAttack:
 *
 *   autoattack: (c) => perModel('AutoAttack', (m, x, y) => …the adversarial x…, c),
 */
import type { Batch } from '../data/dataset.js';
import type { Module } from '../nn/module.js';
import { Rng } from '../random.js';
import { pgdTensors, resolvePgd, type Norm } from '../robust/attacks.js';
import type { Tensor } from '../tensor.js';

/** One batch's inputs: `a` for model A, `b` for model B (the same tensor when both see the same). */
export interface ModelInputs {
  a: Tensor;
  b: Tensor;
}

export interface InputSource {
  /** One line for the JSON and the page, e.g. 'PGD-10 L∞ ε=0.1 against each model'. */
  description: string;
  /**
   * The inputs of both models for a batch. Tensors other than batch.x are new: the caller disposes
   * them (b only when it is not a).
   */
  inputs(batch: Batch<Int32Array>): ModelInputs | Promise<ModelInputs>;
}

export interface InputContext {
  a: Module;
  b: Module;
  eps: number;
  steps: number;
  alpha: number;
  norm: Norm;
  seed: number;
}

/** An attack as an input source needs it: the adversarial batch (a new tensor) for a model. */
export type AdversarialInputs = (model: Module, x: Tensor, y: Int32Array, rng: Rng) => Tensor | Promise<Tensor>;

/** Each model sees the examples made against itself (separate random streams for A and B). */
export function perModel(attack: string, make: AdversarialInputs, c: InputContext): InputSource {
  const ra = new Rng(c.seed).fork('cka-a');
  const rb = new Rng(c.seed).fork('cka-b');
  return {
    description: `${attack} against each model: A sees the examples made against A, B those made against B`,
    inputs: async (batch) => {
      const a = await make(c.a, batch.x, batch.y, ra);
      try {
        return { a, b: await make(c.b, batch.x, batch.y, rb) };
      } catch (e) {
        a.dispose();
        throw e;
      }
    },
  };
}

/** Both models see the examples made against model A. */
export function sharedFromA(attack: string, make: AdversarialInputs, c: InputContext): InputSource {
  const ra = new Rng(c.seed).fork('cka-a');
  return {
    description: `${attack} against model A, the same examples shown to both models`,
    inputs: async (batch) => {
      const a = await make(c.a, batch.x, batch.y, ra);
      return { a, b: a };
    },
  };
}

/** PGD examples against `model` (random start, the options of the command line). */
export function pgdInputs(c: InputContext): AdversarialInputs {
  return (model, x, y, rng) => {
    const r = pgdTensors(model, x, y, resolvePgd('cka', x, y, { eps: c.eps, steps: c.steps, alpha: c.alpha, norm: c.norm, seed: rng, trackSteps: false }));
    for (const t of [r.success, r.loss, r.firstStep, r.cleanCorrect]) t.dispose();
    return r.x;
  };
}

const pgdName = (c: InputContext): string => `PGD-${c.steps} ${c.norm === 'linf' ? 'L∞' : 'L2'} ε=${c.eps}`;

/** The sources `--inputs` chooses from. */
export const INPUT_SOURCES: Record<string, (c: InputContext) => InputSource> = {
  clean: () => ({ description: 'clean test images, the same for both models', inputs: (batch) => ({ a: batch.x, b: batch.x }) }),
  pgd: (c) => perModel(pgdName(c), pgdInputs(c), c),
  'pgd-a': (c) => sharedFromA(pgdName(c), pgdInputs(c), c),
};

export const INPUT_NAMES = Object.keys(INPUT_SOURCES);
