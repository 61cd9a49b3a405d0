/**
 * PGD's options (methods.md §2.1): what a caller may ask for, their defaults, and the checks that run
 * on the host before any GPU work.
 */
import { tidy } from '../engine.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { max, min } from '../ops/reduce.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';

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
