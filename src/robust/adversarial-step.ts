import type { Batch } from '../data/dataset.js';
import type { Tensor } from '../tensor.js';
import type { StepContext, TrainStep } from '../train/step.js';
import type { TemporalEnsemble, TeTargets } from './temporal-ensembling.js';

/** What an adversarial training step prepares: the adversarial batch, and the TE targets when ensembling. */
export interface AdversarialBatch {
  xAdv: Tensor;
  te: TeTargets | null;
}

export interface AdversarialStepParts {
  /** Temporal ensembling (methods.md §3.4), or none. */
  te?: TemporalEnsemble | null;
  /** The inner attack: the adversarial batch (new, owned by the step), queued in the model's eval mode. */
  attack(batch: Batch<Int32Array>, te: TeTargets | null, ctx: StepContext): Tensor;
  /** The outer loss, inside the gradient tape with the model in training mode. */
  loss(batch: Batch<Int32Array>, prepared: AdversarialBatch, ctx: StepContext): Tensor;
}

/**
 * The shape every adversarial training step shares: TE targets first (§3.4 steps 1–2, from the
 * start epoch on), then the inner attack, then the outer loss; the step frees both afterwards.
 */
export function adversarialStep(parts: AdversarialStepParts): TrainStep<Batch<Int32Array>, AdversarialBatch> {
  return {
    async prepare(batch, ctx) {
      const te = parts.te ? await parts.te.targets(ctx.model, batch, ctx.epoch) : null;
      try {
        return { xAdv: parts.attack(batch, te, ctx), te };
      } catch (e) {
        te?.target.dispose();
        throw e;
      }
    },
    loss: parts.loss,
    release({ xAdv, te }) {
      xAdv.dispose();
      te?.target.dispose();
    },
  };
}
