import type { Batch, BatchSource } from '../data/dataset.js';
import { throttle } from '../engine.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import type { Norm } from './attacks.js';
import { apgd, resolveApgd, apgdTargets, type ApgdLoss } from './apgd.js';
import { autoAttack, type AutoAttackResult } from './autoattack.js';
import { attackFn } from './evaluate.js';
import { fgsmOptions } from './fgsm.js';
import { addMaskingCounts, judgeMasking, maskingCounts, type MaskingCheck, type MaskingCounts } from './masking.js';
import { readAttack } from './pgd.js';
import { checkInputRange, resolvePgd } from './pgd-options.js';
import { checkBatch, checkThreat, intOption, type AttackProgress } from './prepare.js';
import { resolveSquare, square } from './square.js';

/**
 * One evaluation of robustness over batches, whatever the attack: the CLI's `attack`, the study and
 * the examples share it. Each attack (or each member of the AutoAttack ensemble) reports its robust
 * accuracy and time; the gradient-masking checks run on the same examples unless turned off.
 *
 *   const r = await robust.evaluateRobustness(model, ownedBatches(test, 250), { attack: 'autoattack', eps: 0.3 });
 *   console.log(r.cleanAccuracy, r.attacks, r.robustAccuracy, r.masking);
 */
export const ROBUSTNESS_ATTACKS = ['pgd', 'fgsm', 'apgd-ce', 'apgd-dlr', 'apgd-t', 'square', 'autoattack'] as const;
export type RobustnessAttack = (typeof ROBUSTNESS_ATTACKS)[number];

export interface RobustnessSpec {
  attack: RobustnessAttack;
  eps: number;
  /** Default 'linf'; FGSM is L∞ only. */
  norm?: Norm;
  /** Iterations: PGD default 20, APGD (and AutoAttack's APGD) default 100. */
  steps?: number;
  /** PGD's step size; default 2.5·ε/steps. */
  alpha?: number;
  /** PGD and APGD-CE/DLR restarts; default 1. */
  restarts?: number;
  /** PGD's loss: 'ce' (default) or 'cw'. */
  loss?: 'ce' | 'cw';
  /** APGD-T's target classes; default min(9, C − 1). */
  targets?: number;
  /** Square's queries; default 5000. */
  nQueries?: number;
  /** Default 0. */
  seed?: number;
  /** Examples per forward/backward pass inside an attack; default 512. */
  batchSize?: number;
  /** Classes of the model, to check labels before any GPU work. */
  numClasses?: number;
  /** Run the gradient-masking checks (default true; never at ε = 0, where there is nothing to mask). */
  masking?: boolean;
  /** Progress of each attack stage, with the batch it belongs to. */
  onProgress?: (p: RobustnessProgress) => void;
}

export interface RobustnessProgress extends AttackProgress {
  /** 0-based batch number and the examples evaluated before it. */
  batch: number;
  before: number;
}

export interface AttackRow {
  attack: string;
  /** Examples it ran on: the clean-correct ones, or in the ensemble those every earlier attack left. */
  attacked: number;
  /** Examples it broke. */
  broken: number;
  /** Robust accuracy after it (and, in the ensemble, every earlier one), over all examples. */
  robustAccuracy: number;
  seconds: number;
}

export interface RobustnessReport {
  attack: RobustnessAttack;
  eps: number;
  norm: Norm;
  n: number;
  cleanAccuracy: number;
  /** One row per attack run, in order. */
  attacks: AttackRow[];
  /** The worst case: the fraction robust against every attack that ran. */
  robustAccuracy: number;
  /** The checks (null when skipped: see maskingSkipped). */
  masking: MaskingCheck[] | null;
  maskingSkipped?: string;
  /** Seconds of the attacks and of the masking checks. */
  seconds: { attack: number; masking: number };
  examples: { index: Int32Array; cleanCorrect: Uint8Array; robust: Uint8Array };
}

const LOSS: Record<'apgd-ce' | 'apgd-dlr' | 'apgd-t', ApgdLoss> = { 'apgd-ce': 'ce', 'apgd-dlr': 'dlr', 'apgd-t': 'dlr-targeted' };

/** Check the spec on the host (no GPU work): the attack, ε, the norm and every option it uses. */
export function checkRobustnessSpec(spec: RobustnessSpec): Norm {
  const op = 'evaluateRobustness';
  if (!ROBUSTNESS_ATTACKS.includes(spec.attack)) throw new ValueError(`${op}: attack '${String(spec.attack)}' must be one of ${ROBUSTNESS_ATTACKS.join(', ')}`);
  const norm = checkThreat(`${op} (${spec.attack})`, spec.eps, spec.norm);
  if (spec.attack === 'fgsm' && norm !== 'linf') throw new ValueError(`${op}: FGSM is an L∞ attack; for L2 use 'pgd' with steps 1 or an APGD attack`);
  const common = { eps: spec.eps, norm, seed: spec.seed, batchSize: spec.batchSize };
  if (spec.attack in LOSS) {
    const loss = LOSS[spec.attack as keyof typeof LOSS];
    const r = resolveApgd(op, { ...common, steps: spec.steps, restarts: spec.restarts, loss, targets: spec.targets });
    if (spec.numClasses !== undefined) apgdTargets(op, loss, spec.numClasses, r.targets);
  }
  if (spec.attack === 'square' || spec.attack === 'autoattack') resolveSquare(op, { ...common, nQueries: spec.nQueries });
  if (spec.attack === 'pgd') {
    intOption(op, 'steps', spec.steps, 20);
    if (spec.alpha !== undefined && !(typeof spec.alpha === 'number' && spec.alpha > 0)) throw new ValueError(`${op}: alpha ${String(spec.alpha)} must be > 0`);
  }
  intOption(op, 'restarts', spec.restarts, 1);
  if (spec.loss !== undefined && spec.loss !== 'ce' && spec.loss !== 'cw') throw new ValueError(`${op}: loss '${String(spec.loss)}' must be 'ce' or 'cw' (PGD's loss)`);
  return norm;
}

/** One batch under the chosen attack: per example clean-correct and robust, and the ensemble's stages. */
interface BatchOutcome {
  cleanCorrect: Uint8Array;
  robust: Uint8Array;
  rows: AttackRow[];
  aa?: AutoAttackResult;
}

type BatchAttack = (model: Module, x: Tensor, y: Int32Array, idx: Int32Array, progress: (p: AttackProgress) => void) => Promise<BatchOutcome>;

const robustOf = (success: ArrayLike<number>, clean: Uint8Array): Uint8Array => Uint8Array.from(clean, (c, i) => (c && !success[i] ? 1 : 0));
const sumOf = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
};

/** One attack on a batch, timed, as its outcome and row (its adversarial batch released). */
async function single(attack: string, run: () => Promise<{ x: Tensor; success: ArrayLike<number>; cleanCorrect: Uint8Array }>): Promise<BatchOutcome> {
  const t0 = performance.now();
  const r = await run();
  r.x.dispose();
  const seconds = (performance.now() - t0) / 1000;
  const clean = r.cleanCorrect;
  const robust = robustOf(r.success, clean);
  const row = { attack, attacked: sumOf(clean), broken: sumOf(clean) - sumOf(robust), robustAccuracy: sumOf(robust) / clean.length, seconds };
  return { cleanCorrect: clean, robust, rows: [row] };
}

function batchAttack(spec: RobustnessSpec, norm: Norm): BatchAttack {
  const seed = spec.seed ?? 0;
  const shared = { eps: spec.eps, norm, seed, batchSize: spec.batchSize, numClasses: spec.numClasses };
  const a = spec.attack;
  if (a === 'pgd' || a === 'fgsm') {
    const steps = spec.steps ?? 20;
    const pgdSpec = a === 'fgsm'
      ? { type: a, eps: spec.eps, seed, numClasses: spec.numClasses }
      : { type: a, eps: spec.eps, norm, steps, alpha: spec.alpha ?? (2.5 * spec.eps) / steps, restarts: spec.restarts ?? 1, loss: spec.loss ?? 'ce', seed, numClasses: spec.numClasses };
    const run = attackFn(pgdSpec);
    return async (model, x, y) => {
      resolvePgd(a, x, y, pgdSpec.type === 'fgsm' ? fgsmOptions(pgdSpec) : pgdSpec);
      await checkInputRange(a, x);
      return single(a, () => readAttack(run(model, x, y)));
    };
  }
  if (a === 'square') return (model, x, y, indices, onProgress) => single(a, () => square(model, x, y, { ...shared, nQueries: spec.nQueries, indices, onProgress }));
  if (a === 'autoattack') {
    return async (model, x, y, indices, onProgress) => {
      const aa = await autoAttack(model, x, y, { ...shared, steps: spec.steps, restarts: spec.restarts, targets: spec.targets, nQueries: spec.nQueries, indices, onProgress });
      aa.x.dispose();
      const rows = aa.stages.map((s) => ({ attack: s.attack, attacked: s.attacked, broken: s.broken, robustAccuracy: s.robustAccuracy, seconds: s.seconds }));
      return { cleanCorrect: aa.examples.cleanCorrect, robust: aa.examples.robust, rows, aa };
    };
  }
  const opts = { ...shared, steps: spec.steps, restarts: spec.restarts, loss: LOSS[a], targets: spec.targets };
  return (model, x, y, indices, onProgress) => single(a, () => apgd(model, x, y, { ...opts, indices, onProgress }));
}

/**
 * Rows of two batches (the same attacks in the same order) as one. After each attack, the examples
 * still robust are those it ran on less those it broke, so accuracies come from the summed counts.
 */
function mergeRows(total: AttackRow[] | null, rows: AttackRow[], n: number): AttackRow[] {
  return rows.map((r, k) => {
    const t = total?.[k] ?? { attacked: 0, broken: 0, seconds: 0 };
    const attacked = t.attacked + r.attacked;
    const broken = t.broken + r.broken;
    return { attack: r.attack, attacked, broken, robustAccuracy: (attacked - broken) / n, seconds: t.seconds + r.seconds };
  });
}

/**
 * Clean accuracy, robust accuracy under `spec.attack` (per attack for the AutoAttack ensemble, and
 * the worst case), the seconds spent, and the gradient-masking checks on the same examples.
 * Batches carry host labels and inputs in [0, 1]; their tensors stay the caller's. The spec is
 * checked before any GPU work, each batch's labels before its own.
 */
export async function evaluateRobustness(model: Module, batches: BatchSource<Batch<Int32Array>>, spec: RobustnessSpec): Promise<RobustnessReport> {
  const norm = checkRobustnessSpec(spec);
  const attackBatch = batchAttack(spec, norm);
  const maskingOn = (spec.masking ?? true) && spec.eps > 0;
  const apgdFamily = spec.attack.startsWith('apgd') || spec.attack === 'autoattack';
  const cols = { index: [] as number[], clean: [] as number[], robust: [] as number[] };
  let rows: AttackRow[] | null = null;
  let counts: MaskingCounts | null = null;
  const seconds = { attack: 0, masking: 0 };
  let batch = 0;
  for await (const b of batches) {
    await throttle();
    const B = b.x.shape[0] ?? 0;
    if (b.idx && b.idx.length !== B) throw new ValueError(`evaluateRobustness: batch ${batch} has ${B} inputs but ${b.idx.length} indices`);
    checkBatch('evaluateRobustness', b.x, b.y, { numClasses: spec.numClasses, batchSize: spec.batchSize });
    const before = cols.index.length;
    const idx = b.idx ?? Int32Array.from({ length: B }, (_, i) => before + i);
    const progress = (p: AttackProgress) => spec.onProgress?.({ ...p, batch, before });
    const t0 = performance.now();
    const o = await attackBatch(model, b.x, b.y, idx, progress);
    seconds.attack += (performance.now() - t0) / 1000;
    rows = mergeRows(rows, o.rows, before + B);
    idx.forEach((v, i) => (cols.index.push(v), cols.clean.push(o.cleanCorrect[i]!), cols.robust.push(o.robust[i]!)));
    progress({ attack: spec.attack, stage: 'batch done', robust: sumOf(o.robust), n: B });
    if (maskingOn) {
      const t1 = performance.now();
      const c = await maskingCounts(model, b.x, b.y, {
        eps: spec.eps, norm, seed: spec.seed, batchSize: spec.batchSize, numClasses: spec.numClasses, indices: idx, nQueries: spec.nQueries,
        steps: apgdFamily ? spec.steps : undefined, restarts: apgdFamily ? spec.restarts : undefined, autoAttack: o.aa, onProgress: (p) => progress({ ...p, attack: `masking ${p.attack}` }),
      });
      counts = counts ? addMaskingCounts(counts, c) : c;
      seconds.masking += (performance.now() - t1) / 1000;
    }
    batch++;
  }
  const n = cols.index.length;
  if (n === 0) throw new ValueError('evaluateRobustness: the batches held no examples');
  return {
    attack: spec.attack,
    eps: spec.eps,
    norm,
    n,
    cleanAccuracy: sumOf(cols.clean) / n,
    attacks: rows!,
    robustAccuracy: sumOf(cols.robust) / n,
    masking: counts ? judgeMasking(counts) : null,
    ...(counts ? {} : { maskingSkipped: spec.eps === 0 ? 'ε = 0: there is nothing to mask' : 'turned off' }),
    seconds,
    examples: { index: Int32Array.from(cols.index), cleanCorrect: Uint8Array.from(cols.clean), robust: Uint8Array.from(cols.robust) },
  };
}
