/**
 * The PGD loop (methods.md §2.1): restarts of K fused steps from a random start, per-example best
 * restart and iterate, success and first-success step; all on the device until `readAttack`.
 */
import { isTracked, noGrad, valueAndGrad } from '../autograd/tape.js';
import { keep, tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { oneHotLike } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { full, tensor } from '../ops/creation.js';
import { add, detach, gt, lt, maximum, mul, sub, where } from '../ops/elementwise.js';
import { reshape } from '../ops/layout.js';
import { labelHits } from '../ops/logits.js';
import { sum } from '../ops/reduce.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { ceAscent, ceTargetedAscent, cwAscent, cwTargetedAscent } from './objectives.js';
import { checkInputRange, checkLabels, resolvePgd, type Objective, type PgdOptions, type ResolvedPgd } from './pgd-options.js';
import { randomStart } from './random-start.js';
import { l2Step, linfStep } from './step.js';

/** What an attack leaves on the device: all [B] float 0/1 flags except `x`. */
export interface AttackTensors {
  /** The adversarial batch (same shape as the input). */
  x: Tensor;
  /** 1 where the attack succeeded at the returned point (untargeted: argmax ≠ y; targeted: argmax = t). */
  success: Tensor;
  /** The objective at the returned point. */
  loss: Tensor;
  /** First iterate (0 = start, t = after t steps) at which the attack succeeded in any restart, −1 if never. */
  firstStep: Tensor;
  /** 1 where the clean input is classified correctly. */
  cleanCorrect: Tensor;
}

export interface AttackResult {
  x: Tensor;
  success: Uint8Array;
  cleanCorrect: Uint8Array;
  loss: Float32Array | Float64Array;
  firstStep: Int32Array;
}

/** Run `fn` with the model in eval mode, restoring its previous mode afterwards. */
export function inEvalMode<T>(model: Module, fn: () => T): T {
  const was = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    model.train(was);
  }
}

/** Broadcast a per-example [B] flag over a batch of the given shape. */
const rows = (v: Tensor, shape: readonly number[]): Tensor => reshape(v, [shape[0]!, ...shape.slice(1).map(() => 1)]);

interface Iter {
  x: Tensor;
  loss: Tensor;
  success: Tensor;
}

/**
 * PGD on a batch, synchronously queued (usable inside tidy and training loops): every restart runs
 * K fused steps; results stay on the device. The model is in eval mode throughout and only the
 * input is differentiated. Options must come from `resolvePgd`.
 */
export function pgdTensors(model: Module, x0: Tensor, y: ArrayLike<number>, r: ResolvedPgd): AttackTensors {
  return inEvalMode(model, () =>
    tidy(() => {
      const shape = x0.shape;
      const clean = noGrad(() => model.forward(x0));
      if (clean.rank !== 2 || clean.shape[0] !== shape[0]) {
        throw new ShapeError(`pgd: the model must return logits [${shape[0]}, classes], got ${fmtShape(clean.shape)}`);
      }
      const C = clean.shape[1]!;
      checkLabels('pgd', 'label', y, shape[0]!, C);
      if (r.target) checkLabels('pgd', 'target', r.target, shape[0]!, C);
      const onehotY = oneHotLike(clean, y, 'pgd');
      const onehotT = r.target ? oneHotLike(clean, r.target, 'pgd') : null;
      // Success flag from argmax (first maximum, like every accuracy count in the engine): one
      // kernel per check on labels uploaded once (labelHits).
      const yT = tensor(y, [shape[0]!], { dtype: 'int32', backend: x0.backend });
      const tT = r.target ? tensor(r.target, [shape[0]!], { dtype: 'int32', backend: x0.backend }) : null;
      const succeeded = (z: Tensor): Tensor => (tT ? labelHits(z, tT, 'argmax') : tidy(() => sub(1, labelHits(z, yT, 'argmax'))));
      const objective: Objective =
        typeof r.loss === 'function'
          ? r.loss
          : r.loss === 'ce'
            ? (z) => (onehotT ? ceTargetedAscent(z, onehotT) : ceAscent(z, onehotY))
            : (z) => (onehotT ? cwTargetedAscent(z, onehotT, r.kappa) : cwAscent(z, onehotY, r.kappa));
      const cleanCorrect = labelHits(clean, yT, 'argmax');

      let best: Iter | null = null;
      let firstStep = full([shape[0]!], -1, { backend: x0.backend });
      for (let restart = 0; restart < r.restarts; restart++) {
        const run = runRestart(model, x0, r, objective, succeeded, randomStart(x0, r));
        const prevFirst = firstStep;
        firstStep = tidy(() => {
          // Earliest success over restarts: take the new step where the old one is −1 or later.
          const take = mul(ge0(run.firstStep), maximum(lt(prevFirst, 0), lt(run.firstStep, prevFirst)));
          return where(take, run.firstStep, prevFirst);
        });
        prevFirst.dispose();
        run.firstStep.dispose();
        if (best === null) best = { x: run.x, loss: run.loss, success: run.success };
        else {
          const prev: Iter = best;
          best = tidy(() => {
            // Prefer a restart that succeeded, then the higher objective.
            const better = add(gt(run.success, prev.success), mul(sub(1, absDiff(run.success, prev.success)), gt(run.loss, prev.loss)));
            return {
              x: where(rows(better, shape), run.x, prev.x),
              loss: where(better, run.loss, prev.loss),
              success: where(better, run.success, prev.success),
            };
          });
          for (const t of [prev.x, prev.loss, prev.success, run.x, run.loss, run.success]) t.dispose();
        }
      }
      return { x: best!.x, success: best!.success, loss: best!.loss, firstStep, cleanCorrect };
    }),
  );
}

const ge0 = (t: Tensor): Tensor => sub(1, lt(t, 0));

/** g with every all-zero example row replaced by host-drawn N(0, I) noise (so CPU and GPU see the same numbers). */
function noiseWhereZero(g: Tensor, rng: Rng): Tensor {
  const noise = tensor(rng.fillNormal(g.size), g.shape, { backend: g.backend });
  try {
    return tidy(() => {
      const zero = sub(1, gt(sum(mul(g, g), Array.from({ length: g.rank - 1 }, (_, i) => i + 1)), 0)); // [B]: 1 where ‖g‖ = 0
      return where(rows(zero, g.shape), noise, g);
    });
  } finally {
    noise.dispose();
  }
}
const absDiff = (a: Tensor, b: Tensor): Tensor => tidy(() => { const d = sub(a, b); return mul(d, d); });

/** One restart: K fused steps from `start` (owned and disposed here). */
function runRestart(model: Module, x0: Tensor, r: ResolvedPgd, objective: Objective, succeeded: (z: Tensor) => Tensor, start: Tensor): Iter & { firstStep: Tensor } {
  const shape = x0.shape;
  let xt = start;
  let firstStep = full([shape[0]!], -1, { backend: x0.backend });
  let best: Iter | null = null;
  for (let t = 0; t <= r.steps; t++) {
    const last = t === r.steps;
    // Per-iterate loss and success are needed for the best iterate, for firstStep, and at the end.
    const observe = last || r.returnBest || r.trackSteps;
    let lossT: Tensor | null = null;
    let succT: Tensor | null = null;
    let g: Tensor | null = null;
    if (!last) {
      const xin = xt;
      const out = valueAndGrad(() => {
        const z = model.forward(xin);
        if (!isTracked(z)) {
          throw new ValueError('pgd: the model output does not depend differentiably on its input, so there is no input gradient to attack along');
        }
        const per = objective(z);
        if (per.rank !== 1 || per.shape[0] !== shape[0]) throw new ShapeError(`pgd: the attack objective must return one value per example [${shape[0]}], got ${fmtShape(per.shape)}`);
        if (observe) {
          lossT = keep(detach(per));
          succT = keep(noGrad(() => succeeded(z)));
        }
        return sum(per);
      }, [xin]);
      out.value.dispose();
      g = out.grads[0]!;
    } else {
      [lossT, succT] = noGrad(() =>
        tidy(() => {
          const z = model.forward(xt);
          return [detach(objective(z)), succeeded(z)];
        }),
      );
    }
    if (succT !== null) {
      const [prevFirst, s] = [firstStep, succT];
      firstStep = tidy(() => where(mul(lt(prevFirst, 0), s), full([shape[0]!], t, { backend: x0.backend }), prevFirst));
      prevFirst.dispose();
    }
    if (lossT === null || succT === null) {
      // Not observed: nothing to record at this iterate.
    } else if (r.returnBest) {
      if (best === null) best = { x: tidy(() => mul(xt, 1)), loss: lossT, success: succT };
      else {
        const [prev, l, s]: [Iter, Tensor, Tensor] = [best, lossT, succT];
        best = tidy(() => {
          const better = gt(l, prev.loss);
          return { x: where(rows(better, shape), xt, prev.x), loss: where(better, l, prev.loss), success: where(better, s, prev.success) };
        });
        for (const u of [prev.x, prev.loss, prev.success, lossT, succT]) u.dispose();
      }
    } else if (last) {
      best = { x: xt, loss: lossT, success: succT };
    } else {
      lossT.dispose();
      succT.dispose();
    }
    if (!last) {
      if (r.zeroGradNoise) {
        const raw = g!;
        g = noiseWhereZero(raw, r.rng);
        raw.dispose();
      }
      const prev = xt;
      xt = r.norm === 'linf' ? linfStep(x0, prev, g!, r.alpha, r.eps) : l2Step(x0, prev, g!, r.alpha, r.eps);
      g!.dispose();
      prev.dispose();
    } else if (r.returnBest) {
      xt.dispose();
    }
  }
  return { ...best!, firstStep };
}

/** Read an attack's device results back to the host (the adversarial batch stays a tensor). */
export async function readAttack(t: AttackTensors): Promise<AttackResult> {
  const [success, cleanCorrect, loss, firstStep] = await Promise.all([t.success.data(), t.cleanCorrect.data(), t.loss.data(), t.firstStep.data()]);
  for (const u of [t.success, t.cleanCorrect, t.loss, t.firstStep]) u.dispose();
  return {
    x: t.x,
    success: Uint8Array.from(success, (v) => (v > 0.5 ? 1 : 0)),
    cleanCorrect: Uint8Array.from(cleanCorrect, (v) => (v > 0.5 ? 1 : 0)),
    loss: loss as Float32Array | Float64Array,
    firstStep: Int32Array.from(firstStep, (v) => Math.round(v)),
  };
}

/**
 * PGD (methods.md §2.1): L∞ or L2, random starts, restarts, CE or CW, targeted or not. Checks every
 * argument (and that inputs lie in [0, 1]) before the attack runs. The caller owns `result.x`.
 *
 *   const adv = await attacks.pgd(model, x, y, { eps: 0.1, steps: 20, alpha: 0.01, seed: 1 });
 */
export async function pgd(model: Module, x: Tensor, y: ArrayLike<number>, opts: PgdOptions): Promise<AttackResult> {
  const r = resolvePgd('pgd', x, y, opts);
  await checkInputRange('pgd', x);
  return readAttack(pgdTensors(model, x, y, r));
}
