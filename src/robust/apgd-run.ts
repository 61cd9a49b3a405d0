import { isTracked, noGrad, valueAndGrad } from '../autograd/tape.js';
import { keep, throttle, tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Module } from '../nn/module.js';
import { full } from '../ops/creation.js';
import { add, detach, ge, gt, le, maximum, mul, sub, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import type { Objective } from './attacks.js';
import { apgdSchedule, nextInterval } from './apgd-schedule.js';
import { apgdStep, type StepGeometry } from './apgd-step.js';
import { misclassified, retire, rowsOf } from './rows.js';

/**
 * One APGD run (Croce & Hein 2020, Algorithm 1) over a batch, every example with its own step
 * size, checkpoint decisions, best point and success flag, all on the device: the loop reads
 * nothing back. The model should be in eval mode; only the input is differentiated.
 */
export interface ApgdRunSettings {
  steps: number;
  /** ρ: halve the step when at most ρ·k of the k steps since the last check raised the loss. */
  rho: number;
  geometry: StepGeometry;
  objective: Objective;
  /** The labels, int32 [n], for the success checks. */
  labels: Tensor;
}

/** What a run leaves on the device; the caller owns every tensor. */
export interface ApgdRunTensors {
  /** Per example, the latest iterate that was misclassified where `fooled` is 1; else the start. */
  adversarial: Tensor;
  /** [n] 1 where some iterate (the start included) was misclassified. */
  fooled: Tensor;
  /** The iterate with the highest objective (x_max of the paper). */
  best: Tensor;
  /** [n] the highest objective reached. */
  bestLoss: Tensor;
  /** [n] the final step size η. */
  stepSize: Tensor;
}

interface Probe {
  loss: Tensor;
  miss: Tensor;
  grad: Tensor;
}

/** Objective, misclassification flags and input gradient at x. */
function probe(model: Module, x: Tensor, s: ApgdRunSettings): Probe {
  const n = x.shape[0]!;
  let loss: Tensor | null = null;
  let miss: Tensor | null = null;
  const out = valueAndGrad(() => {
    const z = model.forward(x);
    if (z.rank !== 2 || z.shape[0] !== n) throw new ShapeError(`apgd: the model must return logits [${n}, classes], got ${fmtShape(z.shape)}`);
    if (!isTracked(z)) throw new ValueError('apgd: the model output does not depend differentiably on its input, so there is no input gradient to attack along');
    const per = s.objective(z);
    loss = keep(detach(per));
    miss = keep(noGrad(() => misclassified(z, s.labels)));
    return sum(per);
  }, [x]);
  out.value.dispose();
  return { loss: loss!, miss: miss!, grad: out.grads[0]! };
}

/** probe at a point the run owns, freeing it if the model throws. */
function probeOwned(model: Module, x: Tensor, s: ApgdRunSettings): Probe {
  try {
    return probe(model, x, s);
  } catch (e) {
    x.dispose();
    throw e;
  }
}

type State = Record<
  'x' | 'xPrev' | 'grad' | 'xBest' | 'gradBest' | 'lossBest' | 'lossPrev' | 'lossBestAtCheck' | 'reducedAtCheck' | 'increases' | 'eta' | 'fooled' | 'adversarial',
  Tensor
>;

/** One iteration: the momentum step from `cur`, then the bookkeeping at the new iterate. */
function iterate(model: Module, cur: State, i: number, s: ApgdRunSettings): State {
  const shape = cur.x.shape;
  const xNext = noGrad(() => apgdStep(cur.x, cur.xPrev, cur.grad, cur.eta, i > 0 ? 0.75 : 1, s.geometry));
  const p = probeOwned(model, xNext, s);
  const next = noGrad(() =>
    tidy(() => {
      const better = gt(p.loss, cur.lossBest);
      const betterRows = rowsOf(better, shape);
      return {
        ...cur,
        x: xNext,
        xPrev: cur.x,
        grad: p.grad,
        // Loss increases are counted against the previous iterate (the start for the first step).
        increases: add(cur.increases, gt(p.loss, cur.lossPrev)),
        lossPrev: p.loss,
        xBest: where(betterRows, xNext, cur.xBest),
        gradBest: where(betterRows, p.grad, cur.gradBest),
        lossBest: where(better, p.loss, cur.lossBest),
        fooled: maximum(cur.fooled, p.miss),
        adversarial: where(rowsOf(p.miss, shape), xNext, cur.adversarial),
      };
    }),
  );
  p.miss.dispose();
  return next;
}

/** A checkpoint after an interval of k steps: per example, halve η and restart from the best point, or not. */
function checkpoint(at: State, k: number, rho: number): State {
  return noGrad(() =>
    tidy(() => {
      // Condition 1: the loss rose on at most ρ·k of the last k steps (≤, as the reference).
      // Condition 2: the step was not halved at the last check and the best loss has not improved.
      const stalled = mul(sub(1, at.reducedAtCheck), ge(at.lossBestAtCheck, at.lossBest));
      const halve = maximum(le(at.increases, rho * k), stalled);
      const rows = rowsOf(halve, at.x.shape);
      return {
        ...at,
        eta: where(halve, mul(at.eta, 0.5), at.eta),
        // Restart from the best point and its gradient; x_prev is left as it was.
        x: where(rows, at.xBest, at.x),
        grad: where(rows, at.gradBest, at.grad),
        reducedAtCheck: halve,
        lossBestAtCheck: at.lossBest,
        increases: mul(at.increases, 0),
      };
    }),
  );
}

/** Run from `start` (consumed: the run owns it from here). */
export async function apgdRun(model: Module, start: Tensor, s: ApgdRunSettings): Promise<ApgdRunTensors> {
  const n = start.shape[0]!;
  const opts = { backend: start.backend };
  const p0 = probeOwned(model, start, s);
  let st: State = {
    x: start, xPrev: start, grad: p0.grad, xBest: start, gradBest: p0.grad,
    lossBest: p0.loss, lossPrev: p0.loss, lossBestAtCheck: p0.loss,
    // No halving "last time" before the first check, so condition 2 cannot fire there.
    reducedAtCheck: full([n], 1, opts),
    increases: full([n], 0, opts),
    eta: full([n], 2 * s.geometry.eps, opts),
    fooled: p0.miss,
    adversarial: start,
  };
  const schedule = apgdSchedule(s.steps);
  let interval = schedule.first;
  let sinceCheck = 0;
  try {
    for (let i = 0; i < s.steps; i++) {
      await throttle();
      let next = iterate(model, st, i, s);
      retire(st, next);
      st = next;
      if (++sinceCheck === interval) {
        next = checkpoint(st, interval, s.rho);
        retire(st, next);
        st = next;
        sinceCheck = 0;
        interval = nextInterval(interval, schedule);
      }
    }
  } catch (e) {
    retire(st, {});
    throw e;
  }
  const out: ApgdRunTensors = { adversarial: st.adversarial, fooled: st.fooled, best: st.xBest, bestLoss: st.lossBest, stepSize: st.eta };
  retire(st, out as unknown as Record<string, Tensor>);
  // The caller owns each field: one that aliases another (never improved, never fooled) gets a copy.
  if (out.best === out.adversarial) out.best = tidy(() => mul(out.best, 1));
  return out;
}
