import { noGrad } from '../autograd/tape.js';
import type { Batch } from '../data/dataset.js';
import { tidy } from '../engine.js';
import { crossEntropy, klDivergence, mse } from '../nn/losses.js';
import { add, mul } from '../ops/elementwise.js';
import { softmax } from '../ops/softmax.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { countArgmaxCorrect } from '../train/correct.js';
import type { TrainStep } from '../train/step.js';
import { adversarialStep, type AdversarialBatch } from './adversarial-step.js';
import { inEvalMode, pgdTensors } from './pgd.js';
import { resolvePgd, type Objective, type PgdOptions } from './pgd-options.js';
import { teTerm, type TemporalEnsemble } from './temporal-ensembling.js';

/** TRADES outer loss CE(f(x), y) + β·(1/B)·Σ_i KL(p(x_i) ‖ p(x'_i)), gradients through both p(x) and p(x') (§3.2). */
export function tradesLoss(zClean: Tensor, zAdv: Tensor, y: ArrayLike<number>, beta: number): Tensor {
  return tidy(() => add(crossEntropy(zClean, y), mul(klDivergence(zClean, zAdv, 'batchmean'), beta)));
}

/**
 * TRADES (methods.md §3.2): the inner attack ascends KL(p(x) ‖ p(x')) from x + 0.001·N(0, I), p(x)
 * an eval-mode constant; the outer loss is `tradesLoss`. With TE (§3.4) the attack ascends
 * (β/B)·KL + w·MSE(p(x'), T) and the outer loss adds w·MSE(softmax(f(x)), T), on the clean output.
 */
export function tradesStep(beta: number, attack: PgdOptions, o: { rng: Rng; te?: TemporalEnsemble | null }): TrainStep<Batch<Int32Array>, AdversarialBatch> {
  return adversarialStep({
    te: o.te,
    attack: ({ x, y }, te, ctx) =>
      tidy(() => {
        const pc = inEvalMode(ctx.model, () => noGrad(() => ctx.model.forward(x)));
        const B = x.shape[0]!;
        const loss: Objective = te
          ? (z) => add(mul(klDivergence(pc, z, 'none'), beta / B), teTerm(z, te.target, te.weight))
          : (z) => klDivergence(pc, z, 'none');
        return pgdTensors(ctx.model, x, y, resolvePgd('trainRobust', x, y, { ...attack, start: 'normal', loss, seed: o.rng, trackSteps: false })).x;
      }),
    loss({ x, y }, { xAdv, te }, ctx) {
      const zc = ctx.model.forward(x);
      const za = ctx.model.forward(xAdv);
      ctx.tally('correct', countArgmaxCorrect(zc, y));
      ctx.tally('robustCorrect', countArgmaxCorrect(za, y));
      const l = tradesLoss(zc, za, y, beta);
      return te ? add(l, mul(mse(softmax(zc, 1), te.target), te.weight)) : l;
    },
  });
}
