import { noGrad } from '../autograd/tape.js';
import type { Batch } from '../data/dataset.js';
import { tidy } from '../engine.js';
import { crossEntropy, mse, oneHotLike } from '../nn/losses.js';
import { full } from '../ops/creation.js';
import { add, mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { softmax } from '../ops/softmax.js';
import type { Rng } from '../random.js';
import { countArgmaxCorrect } from '../train/correct.js';
import type { TrainStep } from '../train/step.js';
import { adversarialStep, type AdversarialBatch } from './adversarial-step.js';
import { ceAscent } from './objectives.js';
import { pgdTensors } from './pgd.js';
import { resolvePgd, type PgdOptions } from './pgd-options.js';
import { teTerm, type TemporalEnsemble } from './temporal-ensembling.js';

/** The inner attack of fast FGSM (Wong et al. 2020): a uniform start in the ε-box, one sign step of α (default 1.25·ε). */
export const fastFgsmAttack = (eps: number, alpha?: number): PgdOptions => ({ eps, steps: 1, alpha: alpha ?? 1.25 * eps, start: 'uniform', norm: 'linf' });

/**
 * PGD-AT (methods.md §3.1): CE on the adversarial batch only, the attack from PGD's own start for its
 * norm (uniform for L∞, madry for L2) unless `attack.start` says otherwise; fast FGSM is the one-step
 * case. With TE (§3.4) the attack ascends CE + w·MSE(softmax(f(x')), T) per example, and the outer
 * loss adds w·MSE(softmax(f(x')), T). Counts: clean from the attack's eval-mode pass, robust from
 * the training-mode adversarial logits.
 */
export function pgdAtStep(attack: PgdOptions, o: { rng: Rng; te?: TemporalEnsemble | null }): TrainStep<Batch<Int32Array>, AdversarialBatch> {
  return adversarialStep({
    te: o.te,
    attack: ({ x, y }, te, ctx) =>
      tidy(() => {
        const inner: PgdOptions = { ...attack, seed: o.rng, trackSteps: false };
        if (te) {
          const B = x.shape[0]!;
          const onehot = noGrad(() => oneHotLike(full([B, te.target.shape[1]!], 0, { backend: x.backend }), y, 'trainRobust'));
          inner.loss = (z) => add(mul(ceAscent(z, onehot), 1 / B), teTerm(z, te.target, te.weight));
        }
        const adv = pgdTensors(ctx.model, x, y, resolvePgd('trainRobust', x, y, inner));
        ctx.tally('correct', sum(adv.cleanCorrect));
        return adv.x;
      }),
    loss({ y }, { xAdv, te }, ctx) {
      const za = ctx.model.forward(xAdv);
      ctx.tally('robustCorrect', countArgmaxCorrect(za, y));
      const ce = crossEntropy(za, y);
      return te ? add(ce, mul(mse(softmax(za, 1), te.target), te.weight)) : ce;
    },
  });
}
