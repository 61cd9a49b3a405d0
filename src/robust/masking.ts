import { ShapeError } from '../errors.js';
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

/** Robust accuracy of an outcome, releasing its batch. */
function accuracy(o: { x: Tensor; success: Uint8Array; cleanCorrect: Uint8Array }): number {
  o.x.dispose();
  return count(o.cleanCorrect.map((c, i) => (c && !o.success[i] ? 1 : 0))) / o.cleanCorrect.length;
}

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const points = (v: number): string => `${(100 * v).toFixed(1)} points`;

/**
 * Run the masking checks for one evaluation: accuracy at 4ε, FGSM against APGD-CE, Square against
 * the white-box attacks, and APGD-CE with twice the iterations and twice the restarts.
 */
export async function gradientMaskingChecks(model: Module, x: Tensor, y: ArrayLike<number>, s: MaskingSettings): Promise<MaskingCheck[]> {
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
  const apgdCe = (eps: number, k: number, r: number) => apgd(model, x, y, { ...base, eps, steps: k, restarts: r, loss: 'ce' }).then(accuracy);
  const ceStage = aa.stages.findIndex((st) => st.attack === 'apgd-ce');
  const ceAcc = ceStage === 0 ? aa.stages[0]!.robustAccuracy : await apgdCe(s.eps, steps, restarts);
  const checks: MaskingCheck[] = [];

  const at4 = await apgdCe(4 * s.eps, steps, restarts);
  const falls = at4 <= MASKING_THRESHOLDS.largeEpsAccuracy && at4 <= ceAcc;
  checks.push({
    name: 'accuracy-falls-with-eps',
    status: falls ? 'pass' : 'flag',
    numbers: { eps: s.eps, robustAccuracy: ceAcc, eps4: 4 * s.eps, robustAccuracyAt4Eps: at4 },
    explanation: falls
      ? `APGD-CE at 4ε leaves ${pct(at4)} robust (at most ${pct(MASKING_THRESHOLDS.largeEpsAccuracy)} expected).`
      : `APGD-CE at 4ε still leaves ${pct(at4)} robust (ε: ${pct(ceAcc)}); a large enough budget should break nearly everything, so the attack is likely being masked.`,
  });

  const single = norm === 'linf'
    ? await fgsm(model, x, y, { eps: s.eps, numClasses: s.numClasses }).then(accuracy)
    : await pgd(model, x, y, { eps: s.eps, steps: 1, alpha: s.eps, norm: 'l2', start: 'none', numClasses: s.numClasses }).then(accuracy);
  const iterative = ceAcc <= single + MASKING_THRESHOLDS.iterativeMargin;
  checks.push({
    name: 'iterative-beats-single-step',
    status: iterative ? 'pass' : 'flag',
    numbers: { singleStep: single, iterative: ceAcc },
    explanation: iterative
      ? `APGD-CE (${pct(ceAcc)} robust) is at least as strong as one gradient step (${pct(single)}).`
      : `One gradient step leaves fewer examples robust (${pct(single)}) than APGD-CE (${pct(ceAcc)}): the loss surface misleads the iterative attack.`,
  });

  const sq = aa.stages.findIndex((st) => st.attack === 'square');
  if (sq < 0) {
    checks.push({
      name: 'white-box-beats-black-box',
      status: 'flag',
      numbers: {},
      explanation: 'Square was not part of this evaluation, so the white-box attacks could not be compared with a black-box one; run AutoAttack with Square.',
    });
  } else {
    const extra = aa.stages[sq]!.broken / aa.n;
    const whiteBox = sq > 0 ? aa.stages[sq - 1]!.robustAccuracy : aa.cleanAccuracy;
    const ok = extra <= MASKING_THRESHOLDS.blackBoxPoints;
    checks.push({
      name: 'white-box-beats-black-box',
      status: ok ? 'pass' : 'flag',
      numbers: { whiteBox, afterSquare: aa.stages[sq]!.robustAccuracy, squareExtra: extra },
      explanation: ok
        ? `Square broke ${pct(extra)} of the examples the white-box attacks left (at most ${pct(MASKING_THRESHOLDS.blackBoxPoints)} allowed).`
        : `Square, which never sees a gradient, broke ${pct(extra)} of the examples the white-box attacks could not: their gradients are likely masked.`,
    });
  }

  const doubleSteps = await apgdCe(s.eps, 2 * steps, restarts);
  const doubleRestarts = await apgdCe(s.eps, steps, 2 * restarts);
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
