import { ValueError } from '../errors.js';

/**
 * Learning-rate schedules as plain functions of time `t` (an epoch, a fractional epoch or a step:
 * the caller picks the unit and uses it consistently). Set `optimizer.lr = schedule(t)` before a step.
 */
export type Schedule = (t: number) => number;

export const constant = (lr: number): Schedule => () => lr;

/** torch StepLR: lr · gamma^⌊t / stepSize⌋. */
export function stepDecay(lr: number, stepSize: number, gamma = 0.1): Schedule {
  if (!(stepSize > 0)) throw new ValueError(`stepDecay: stepSize ${stepSize} must be > 0`);
  return (t) => lr * gamma ** Math.floor(t / stepSize);
}

/** torch MultiStepLR: lr · gamma^(number of milestones <= t), e.g. Madry's CIFAR 100 and 150. */
export function multiStep(lr: number, milestones: readonly number[], gamma = 0.1): Schedule {
  const ms = [...milestones].sort((a, b) => a - b);
  return (t) => lr * gamma ** ms.filter((m) => m <= t).length;
}

/**
 * Piecewise-linear interpolation through (t, lr) knots, constant beyond the ends (numpy.interp),
 * as the "fast adversarial training" cyclic schedules use: piecewise([[0, 0], [15, 0.2], [30, 0]]).
 */
export function piecewise(knots: readonly (readonly [number, number])[]): Schedule {
  if (knots.length === 0) throw new ValueError('piecewise: needs at least one (t, lr) knot');
  for (let i = 1; i < knots.length; i++) {
    if (!(knots[i]![0] > knots[i - 1]![0])) throw new ValueError(`piecewise: knot times must increase (knot ${i}: ${knots[i]![0]} after ${knots[i - 1]![0]})`);
  }
  return (t) => {
    if (t <= knots[0]![0]) return knots[0]![1];
    for (let i = 1; i < knots.length; i++) {
      const [t1, v1] = knots[i]!;
      if (t <= t1) {
        const [t0, v0] = knots[i - 1]!;
        return v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
      }
    }
    return knots[knots.length - 1]![1];
  };
}

/** torch CosineAnnealingLR (one half-period): min + (lr − min)(1 + cos(π t / total)) / 2, then min. */
export function cosine(lr: number, total: number, minLr = 0): Schedule {
  if (!(total > 0)) throw new ValueError(`cosine: total ${total} must be > 0`);
  return (t) => (t >= total ? minLr : minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * t) / total))) / 2);
}

/**
 * Linear warm-up from `startFactor`·s(0) to s(warmup) over [0, warmup], then `s` (shifted so it
 * starts at the end of the warm-up when `shift` is true, unchanged otherwise).
 */
export function withWarmup(s: Schedule, warmup: number, opts: { startFactor?: number; shift?: boolean } = {}): Schedule {
  if (!(warmup >= 0)) throw new ValueError(`withWarmup: warmup ${warmup} must be >= 0`);
  const f0 = opts.startFactor ?? 0;
  const at = (t: number): number => (opts.shift ? s(t - warmup) : s(t));
  return (t) => (t < warmup ? at(warmup) * (f0 + ((1 - f0) * t) / warmup) : at(t));
}
