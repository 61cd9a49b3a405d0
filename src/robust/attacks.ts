import { isTracked, noGrad, valueAndGrad } from '../autograd/tape.js';
import { keep, tidy } from '../engine.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { oneHotLike } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { full, tensor } from '../ops/creation.js';
import { add, clamp, detach, gt, lt, maximum, mul, sub, where } from '../ops/elementwise.js';
import { gather, reshape } from '../ops/layout.js';
import { argmax, max, min, sum } from '../ops/reduce.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { ceAscent, ceTargetedAscent, cwAscent, cwTargetedAscent } from './objectives.js';
import { l2Step, linfStep } from './step.js';

export type Norm = 'linf' | 'l2';

/**
 * Random starts (methods.md §2.1):
 * - 'none': x_0 = x.
 * - 'uniform' (L∞ default): x_0 = clip01(x + U(−ε, ε)^d) — robustness lib, torchattacks, (c).
 * - 'normal': x_0 = x + 0.001·N(0, I), not clipped — TRADES and (c) for TRADES, any norm.
 * - 'madry' (L2 default): δ_0 = renorm_ε(U(−0.5, 0.5)^d), x_0 = clip01(x + δ_0) — robustness lib.
 * - 'lp': δ_0 = renorm_ε(U(−1, 1)^d) — (a), attacks/lp.py.
 * - 'torchattacks': δ_0 = ε·r·z/‖z‖, z ~ N(0, I), r ~ U(0, 1) (applied, unlike the stored version).
 */
export type StartKind = 'none' | 'uniform' | 'normal' | 'madry' | 'lp' | 'torchattacks';

/** Per-example objective to ascend: logits [B, C] → [B]. */
export type Objective = (logits: Tensor) => Tensor;

export interface PgdOptions {
  /** Radius of the threat ball (L∞ or L2), >= 0. */
  eps: number;
  /** Number of steps K >= 1. */
  steps: number;
  /** Step size; default the Madry-library rule 2.5·ε/K. */
  alpha?: number;
  /** Default 'linf'. */
  norm?: Norm;
  /** Independent random starts; an example counts as robust only if every one fails. Default 1. */
  restarts?: number;
  /** Default: 'uniform' for L∞, 'madry' for L2. `randomStart: false` is the same as start 'none'. */
  start?: StartKind;
  randomStart?: boolean;
  /** 'ce' (default) or 'cw' (margin with κ), or a custom per-example objective to ascend. */
  loss?: 'ce' | 'cw' | Objective;
  /** κ of the CW loss (default 50). */
  kappa?: number;
  /** Targeted attack towards these classes (one per example); default untargeted. */
  target?: ArrayLike<number>;
  /** Return, per example, the iterate with the highest objective (robustness lib `use-best`) instead of the last. */
  returnBest?: boolean;
  /** Seed (or generator) of the random starts; the same seed gives the same adversarial examples. */
  seed?: number | Rng;
  /** Number of classes, to check labels before any GPU work (otherwise checked after the clean forward). */
  numClasses?: number;
  /**
   * Track, at every iterate, whether the model is fooled (for `firstStep`); default true. Training
   * turns it off: it costs a few small kernels per step. Without it `firstStep` only sees the last
   * iterate (and every iterate when `returnBest` is on).
   */
  trackSteps?: boolean;
  /**
   * Replace an example's input gradient by N(0, I) noise when it is exactly zero (a saturated softmax,
   * dead ReLUs), so the attack still moves: the behaviour of (a)'s attack library (methods.md §2.1).
   * Default false: the Madry library, TRADES and (c) leave such examples where they are.
   */
  zeroGradNoise?: boolean;
}

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

export interface ResolvedPgd {
  eps: number;
  steps: number;
  alpha: number;
  norm: Norm;
  restarts: number;
  start: StartKind;
  loss: 'ce' | 'cw' | Objective;
  kappa: number;
  target: ArrayLike<number> | null;
  returnBest: boolean;
  trackSteps: boolean;
  zeroGradNoise: boolean;
  rng: Rng;
}

const START_KINDS: readonly StartKind[] = ['none', 'uniform', 'normal', 'madry', 'lp', 'torchattacks'];

/** Validate options and labels on the host; throws before any GPU work. */
export function resolvePgd(op: string, x: Tensor, y: ArrayLike<number>, o: PgdOptions): ResolvedPgd {
  if (x.dtype !== 'float32') throw new DTypeError(`${op}: inputs must be float32, got ${x.dtype} ${fmtShape(x.shape)}`);
  if (x.rank < 2 || x.size === 0) throw new ShapeError(`${op}: inputs must be a non-empty batch [B, ...features], got ${fmtShape(x.shape)}`);
  const B = x.shape[0]!;
  if (!(typeof o.eps === 'number' && Number.isFinite(o.eps) && o.eps >= 0)) throw new ValueError(`${op}: eps ${o.eps} must be a finite number >= 0`);
  if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new ValueError(`${op}: steps ${o.steps} must be an integer >= 1`);
  const alpha = o.alpha ?? (2.5 * o.eps) / o.steps;
  if (!(Number.isFinite(alpha) && alpha >= 0)) throw new ValueError(`${op}: step size alpha ${alpha} must be a finite number >= 0`);
  const restarts = o.restarts ?? 1;
  if (!(Number.isInteger(restarts) && restarts >= 1)) throw new ValueError(`${op}: restarts ${restarts} must be an integer >= 1`);
  const norm = o.norm ?? 'linf';
  if (norm !== 'linf' && norm !== 'l2') throw new ValueError(`${op}: norm '${String(norm)}' must be 'linf' or 'l2'`);
  const start = o.randomStart === false ? 'none' : (o.start ?? (norm === 'linf' ? 'uniform' : 'madry'));
  if (!START_KINDS.includes(start)) throw new ValueError(`${op}: start '${String(start)}' must be one of ${START_KINDS.join(', ')}`);
  const kappa = o.kappa ?? 50;
  if (!Number.isFinite(kappa)) throw new ValueError(`${op}: kappa ${kappa} must be finite`);
  checkLabels(op, 'label', y, B, o.numClasses);
  if (o.target) checkLabels(op, 'target', o.target, B, o.numClasses);
  const loss = o.loss ?? 'ce';
  if (loss !== 'ce' && loss !== 'cw' && typeof loss !== 'function') throw new ValueError(`${op}: loss must be 'ce', 'cw' or a function, got ${String(loss)}`);
  const rng = o.seed instanceof Rng ? o.seed : new Rng(o.seed ?? 0);
  return { eps: o.eps, steps: o.steps, alpha, norm, restarts, start, loss, kappa, target: o.target ?? null, returnBest: o.returnBest ?? false, trackSteps: o.trackSteps ?? true, zeroGradNoise: o.zeroGradNoise ?? false, rng };
}

export function checkLabels(op: string, what: string, y: ArrayLike<number>, B: number, C?: number): void {
  if (y === null || typeof y !== 'object' || typeof y.length !== 'number') throw new ValueError(`${op}: ${what}s must be an array of integers`);
  if (y.length !== B) throw new ShapeError(`${op}: ${y.length} ${what}s for a batch of ${B}; pass one per example`);
  for (let i = 0; i < B; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || (C !== undefined && v >= C)) {
      throw new ValueError(`${op}: ${what} ${v} at index ${i} is outside [0, ${C ?? '∞'}); labels must be class indices`);
    }
  }
}

/** Host-side check that every input lies in [0, 1] (one small readback on the GPU). */
export async function checkInputRange(op: string, x: Tensor): Promise<void> {
  const mm = tidy(() => [min(x), max(x)]);
  const [lo, hi] = [await mm[0]!.item(), await mm[1]!.item()];
  mm.forEach((t) => t.dispose());
  if (!(lo >= 0 && hi <= 1)) {
    throw new ValueError(`${op}: inputs must lie in [0, 1] (the image box of the threat model), got values in [${lo}, ${hi}]; rescale the data first`);
  }
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

/** The start of one restart: host-drawn noise (so CPU and GPU see the same numbers) added on the device. */
function randomStart(x0: Tensor, r: ResolvedPgd): Tensor {
  const B = x0.shape[0]!;
  const d = x0.size / B;
  const n = x0.size;
  const opts = { backend: x0.backend };
  const clip01 = (noise: Float64Array): Tensor => tidy(() => clamp(add(x0, tensor(noise, x0.shape, opts)), 0, 1));
  const renorm = (v: Float64Array, maxnorm: number): Float64Array => {
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += v[b * d + j]! ** 2;
      const norm = Math.sqrt(s);
      if (norm > maxnorm) for (let j = 0; j < d; j++) v[b * d + j]! *= maxnorm / norm;
    }
    return v;
  };
  switch (r.start) {
    case 'none':
      return tidy(() => mul(x0, 1));
    case 'uniform':
      return clip01(r.rng.fillUniform(n, -r.eps, r.eps));
    case 'normal':
      return tidy(() => add(x0, tensor(r.rng.fillNormal(n, 0, 0.001), x0.shape, opts)));
    case 'madry':
      return clip01(renorm(r.rng.fillUniform(n, -0.5, 0.5), r.eps));
    case 'lp':
      return clip01(renorm(r.rng.fillUniform(n, -1, 1), r.eps));
    case 'torchattacks': {
      const z = r.rng.fillNormal(n);
      for (let b = 0; b < B; b++) {
        const rad = r.eps * r.rng.uniform();
        let s = 0;
        for (let j = 0; j < d; j++) s += z[b * d + j]! ** 2;
        const k = rad / Math.sqrt(s);
        for (let j = 0; j < d; j++) z[b * d + j]! *= k;
      }
      return clip01(z);
    }
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
      const eye = tensor(Float64Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0)), [C, C], { backend: x0.backend });
      // Success flag from argmax (first maximum, like every accuracy count in the engine).
      const succeeded = (z: Tensor): Tensor =>
        tidy(() => {
          const hit = sum(mul(gather(eye, argmax(z, 1), 0), onehotT ?? onehotY), 1);
          return onehotT ? hit : sub(1, hit);
        });
      const objective: Objective =
        typeof r.loss === 'function'
          ? r.loss
          : r.loss === 'ce'
            ? (z) => (onehotT ? ceTargetedAscent(z, onehotT) : ceAscent(z, onehotY))
            : (z) => (onehotT ? cwTargetedAscent(z, onehotT, r.kappa) : cwAscent(z, onehotY, r.kappa));
      const cleanCorrect = sum(mul(gather(eye, argmax(clean, 1), 0), onehotY), 1);

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

export interface FgsmOptions {
  eps: number;
  loss?: 'ce' | 'cw' | Objective;
  kappa?: number;
  target?: ArrayLike<number>;
  numClasses?: number;
}

/** FGSM: x' = clip01(x + ε·sign(∇ₓL)), sign(0) = 0 — one fused step from x with α = ε, no random start. */
export function fgsmOptions(o: FgsmOptions): PgdOptions {
  return { ...o, steps: 1, alpha: o.eps, start: 'none', restarts: 1, norm: 'linf' };
}

export async function fgsm(model: Module, x: Tensor, y: ArrayLike<number>, opts: FgsmOptions): Promise<AttackResult> {
  const r = resolvePgd('fgsm', x, y, fgsmOptions(opts));
  await checkInputRange('fgsm', x);
  return readAttack(pgdTensors(model, x, y, r));
}
