import { ShapeError, ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { fgsm, pgd, type Norm } from './attacks.js';
import { apgd } from './apgd.js';
import { autoAttack, type AutoAttackResult } from './autoattack.js';
import { checkBatch, checkThreat, intOption, type AttackProgress, type BatchOptions } from './prepare.js';

/**
 * Gradient-masking checks (Athalye et al. 2018; Carlini et al. 2019, "On evaluating adversarial
 * robustness", §5): signs that gradient-based attacks are being fooled rather than the model being
 * robust. Each check passes or flags, with the numbers it compared and what a flag means.
 */
export interface MaskingCheck {
  name: 'accuracy-falls-with-eps' | 'iterative-beats-single-step' | 'white-box-beats-black-box' | 'more-effort-changes-little';
  status: 'pass' | 'flag';
  numbers: Record<string, number>;
  explanation: string;
}

/**
 * The thresholds, in accuracy fractions (0.01 = 1 point):
 * - at 4ε an attack should leave at most 10 % of the examples robust (an unbounded attack reaches
 *   0; 4ε stands in for "large" and leaves room for a model that is truly robust a bit beyond ε);
 * - the iterative attack (APGD-CE) must leave no more examples robust than the single step (FGSM);
 * - Square, run after the white-box attacks, may break at most 1 % more of the examples;
 * - doubling APGD's iterations or restarts may lower robust accuracy by at most 1 point.
 */
export const MASKING_THRESHOLDS = { largeEpsAccuracy: 0.1, iterativeMargin: 0, blackBoxPoints: 0.01, effortPoints: 0.01 } as const;

export interface MaskingSettings extends BatchOptions {
  eps: number;
  norm?: Norm;
  /** APGD iterations of the evaluation; default 100. */
  steps?: number;
  /** APGD-CE restarts of the evaluation; default 1. */
  restarts?: number;
  seed?: number;
  /** Square queries, if AutoAttack runs here; default 5000. */
  nQueries?: number;
  /**
   * The AutoAttack result of this evaluation (same model, data and settings), reused for the APGD-CE
   * and Square numbers. Without it, the standard AutoAttack runs here.
   */
  autoAttack?: AutoAttackResult;
  onProgress?: (p: AttackProgress) => void;
}

const count = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0);

/** Examples robust in an outcome (clean-correct and not fooled), releasing its batch. */
function robustCount(o: { x: Tensor; success: Uint8Array; cleanCorrect: Uint8Array }): number {
  o.x.dispose();
  return count(o.cleanCorrect.map((c, i) => (c && !o.success[i] ? 1 : 0)));
}

/**
 * What the checks compare, as counts of robust examples: they add up over batches (addMaskingCounts),
 * so that an evaluation over many batches is judged once (judgeMasking) on all its examples.
 */
export interface MaskingCounts {
  n: number;
  eps: number;
  /** APGD-CE at ε. */
  apgdCe: number;
  /** APGD-CE at 4ε. */
  at4Eps: number;
  /** One gradient step (FGSM for L∞, one normalized step of size ε for L2). */
  singleStep: number;
  /** Before Square ran (after the white-box attacks of the ensemble) and after it; null without Square. */
  beforeSquare: number | null;
  afterSquare: number | null;
  /** APGD-CE with twice the iterations, and with twice the restarts. */
  doubleSteps: number;
  doubleRestarts: number;
}

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const points = (v: number): string => `${(100 * v).toFixed(1)} points`;

/**
 * Measure what the masking checks compare on one batch: accuracy at 4ε, FGSM against APGD-CE,
 * Square against the white-box attacks, and APGD-CE with twice the iterations and twice the restarts.
 */
export async function maskingCounts(model: Module, x: Tensor, y: ArrayLike<number>, s: MaskingSettings): Promise<MaskingCounts> {
  const op = 'gradientMaskingChecks';
  const norm = checkThreat(op, s.eps, s.norm);
  checkBatch(op, x, y, s);
  const steps = intOption(op, 'steps', s.steps, 100);
  const restarts = intOption(op, 'restarts', s.restarts, 1);
  const base = { norm, seed: s.seed ?? 0, batchSize: s.batchSize, numClasses: s.numClasses, indices: s.indices, onProgress: s.onProgress };
  let aa = s.autoAttack;
  if (!aa) {
    aa = await autoAttack(model, x, y, { ...base, eps: s.eps, steps, restarts, nQueries: s.nQueries });
    aa.x.dispose();
  }
  if (aa.n !== x.shape[0]) throw new ShapeError(`${op}: the AutoAttack result covers ${aa.n} examples, the batch has ${x.shape[0]}`);
  // Each run's progress names what it measures (the four APGD-CE runs would otherwise look alike).
  const apgdCe = (eps: number, k: number, r: number, what: string) =>
    apgd(model, x, y, { ...base, eps, steps: k, restarts: r, loss: 'ce', onProgress: s.onProgress && ((p) => s.onProgress!({ ...p, attack: `${p.attack} (${what})` })) }).then(robustCount);
  const left = (st: AutoAttackResult['stages'][number]): number => st.attacked - st.broken;
  const ceStage = aa.stages.findIndex((st) => st.attack === 'apgd-ce');
  const ce = ceStage === 0 ? left(aa.stages[0]!) : await apgdCe(s.eps, steps, restarts, 'ε');
  const at4Eps = await apgdCe(4 * s.eps, steps, restarts, '4ε');
  const singleStep = norm === 'linf'
    ? await fgsm(model, x, y, { eps: s.eps, numClasses: s.numClasses }).then(robustCount)
    : await pgd(model, x, y, { eps: s.eps, steps: 1, alpha: s.eps, norm: 'l2', start: 'none', numClasses: s.numClasses }).then(robustCount);
  const sq = aa.stages.find((st) => st.attack === 'square');
  return {
    n: aa.n,
    eps: s.eps,
    apgdCe: ce,
    at4Eps,
    singleStep,
    beforeSquare: sq ? sq.attacked : null,
    afterSquare: sq ? left(sq) : null,
    doubleSteps: await apgdCe(s.eps, 2 * steps, restarts, 'twice the iterations'),
    doubleRestarts: await apgdCe(s.eps, steps, 2 * restarts, 'twice the restarts'),
  };
}

/** The counts of two disjoint sets of examples (same ε), as one. */
export function addMaskingCounts(a: MaskingCounts, b: MaskingCounts): MaskingCounts {
  if (a.eps !== b.eps) throw new ValueError(`addMaskingCounts: counts at ε = ${a.eps} and ε = ${b.eps} cannot be added`);
  const both = (u: number | null, v: number | null): number | null => (u === null || v === null ? null : u + v);
  return {
    n: a.n + b.n, eps: a.eps, apgdCe: a.apgdCe + b.apgdCe, at4Eps: a.at4Eps + b.at4Eps, singleStep: a.singleStep + b.singleStep,
    beforeSquare: both(a.beforeSquare, b.beforeSquare), afterSquare: both(a.afterSquare, b.afterSquare),
    doubleSteps: a.doubleSteps + b.doubleSteps, doubleRestarts: a.doubleRestarts + b.doubleRestarts,
  };
}

/** Judge measured counts against MASKING_THRESHOLDS: one check per sign of masking, pass or flag. */
export function judgeMasking(c: MaskingCounts): MaskingCheck[] {
  if (!(c.n > 0)) throw new ValueError('judgeMasking: no examples were measured');
  const f = (k: number): number => k / c.n;
  const ceAcc = f(c.apgdCe);
  const checks: MaskingCheck[] = [];

  const at4 = f(c.at4Eps);
  const falls = at4 <= MASKING_THRESHOLDS.largeEpsAccuracy && at4 <= ceAcc;
  checks.push({
    name: 'accuracy-falls-with-eps',
    status: falls ? 'pass' : 'flag',
    numbers: { eps: c.eps, robustAccuracy: ceAcc, eps4: 4 * c.eps, robustAccuracyAt4Eps: at4 },
    explanation: falls
      ? `APGD-CE at 4ε leaves ${pct(at4)} robust (at most ${pct(MASKING_THRESHOLDS.largeEpsAccuracy)} expected).`
      : `APGD-CE at 4ε still leaves ${pct(at4)} robust (ε: ${pct(ceAcc)}); a large enough budget should break nearly everything, so the attack is likely being masked.`,
  });

  const single = f(c.singleStep);
  const iterative = ceAcc <= single + MASKING_THRESHOLDS.iterativeMargin;
  checks.push({
    name: 'iterative-beats-single-step',
    status: iterative ? 'pass' : 'flag',
    numbers: { singleStep: single, iterative: ceAcc },
    explanation: iterative
      ? `APGD-CE (${pct(ceAcc)} robust) is at least as strong as one gradient step (${pct(single)}).`
      : `One gradient step leaves fewer examples robust (${pct(single)}) than APGD-CE (${pct(ceAcc)}): the loss surface misleads the iterative attack.`,
  });

  if (c.beforeSquare === null || c.afterSquare === null) {
    checks.push({
      name: 'white-box-beats-black-box',
      status: 'flag',
      numbers: {},
      explanation: 'Square was not part of this evaluation, so the white-box attacks could not be compared with a black-box one; run AutoAttack with Square.',
    });
  } else {
    const extra = f(c.beforeSquare - c.afterSquare);
    const ok = extra <= MASKING_THRESHOLDS.blackBoxPoints;
    checks.push({
      name: 'white-box-beats-black-box',
      status: ok ? 'pass' : 'flag',
      numbers: { whiteBox: f(c.beforeSquare), afterSquare: f(c.afterSquare), squareExtra: extra },
      explanation: ok
        ? `Square broke ${pct(extra)} of the examples the white-box attacks left (at most ${pct(MASKING_THRESHOLDS.blackBoxPoints)} allowed).`
        : `Square, which never sees a gradient, broke ${pct(extra)} of the examples the white-box attacks could not: their gradients are likely masked.`,
    });
  }

  const doubleSteps = f(c.doubleSteps);
  const doubleRestarts = f(c.doubleRestarts);
  const drop = Math.max(ceAcc - doubleSteps, ceAcc - doubleRestarts);
  const settled = drop <= MASKING_THRESHOLDS.effortPoints;
  checks.push({
    name: 'more-effort-changes-little',
    status: settled ? 'pass' : 'flag',
    numbers: { robustAccuracy: ceAcc, doubleSteps, doubleRestarts, drop },
    explanation: settled
      ? `Twice the iterations (${pct(doubleSteps)}) or restarts (${pct(doubleRestarts)}) move APGD-CE's ${pct(ceAcc)} by at most ${points(MASKING_THRESHOLDS.effortPoints)}.`
      : `More effort still lowers robust accuracy by ${points(drop)} (iterations ${pct(doubleSteps)}, restarts ${pct(doubleRestarts)}, base ${pct(ceAcc)}): the attack has not converged.`,
  });
  return checks;
}

/**
 * Run the masking checks for one batch: accuracy at 4ε, FGSM against APGD-CE, Square against
 * the white-box attacks, and APGD-CE with twice the iterations and twice the restarts. Over many
 * batches, add their maskingCounts and judge the sum (evaluateRobustness does).
 */
export async function gradientMaskingChecks(model: Module, x: Tensor, y: ArrayLike<number>, s: MaskingSettings): Promise<MaskingCheck[]> {
  return judgeMasking(await maskingCounts(model, x, y, s));
}
