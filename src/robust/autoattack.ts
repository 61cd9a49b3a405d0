import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import type { Norm } from './attacks.js';
import { apgdTargets, resolveApgd, runApgd, type ApgdLoss } from './apgd.js';
import {
  AdversarialSet, checkBatch, checkThreat, disposePrepared, intOption, outcome, prepareAttack, withEvalMode, type AttackProgress, type BatchOptions,
} from './prepare.js';
import { checkSquareShape, resolveSquare, runSquare } from './square.js';

/**
 * AutoAttack (Croce & Hein 2020), the standard ensemble: APGD-CE, APGD-T (targeted DLR against the
 * 9 runner-up classes), Square (5000 queries). Each attack runs only on the examples every earlier
 * attack failed on, and an example counts as robust only if all of them fail. FAB-T, the third
 * attack of the reference's standard version, is not implemented here; the ensemble runs without it.
 */
export type AutoAttackName = 'apgd-ce' | 'apgd-dlr' | 'apgd-t' | 'square';

export const AUTOATTACK_VERSIONS = {
  /** The reference's standard version, less FAB-T. */
  standard: ['apgd-ce', 'apgd-t', 'square'],
  /** The reference's "plus" version, less FAB and FAB-T: APGD-CE and APGD-DLR with 5 restarts each. */
  plus: ['apgd-ce', 'apgd-dlr', 'square', 'apgd-t'],
} as const satisfies Record<string, readonly AutoAttackName[]>;

export interface AutoAttackOptions extends BatchOptions {
  eps: number;
  norm?: Norm;
  version?: keyof typeof AUTOATTACK_VERSIONS;
  /** Run these attacks in this order instead of the version's list. */
  attacks?: readonly AutoAttackName[];
  /** Default 0. */
  seed?: number;
  /** APGD iterations per run; default 100. */
  steps?: number;
  /** APGD-CE/DLR restarts; default 1 (5 in 'plus'). */
  restarts?: number;
  /** APGD-T target classes; default min(9, C − 1). */
  targets?: number;
  /** Square queries; default 5000. */
  nQueries?: number;
  onProgress?: (p: AttackProgress) => void;
}

export interface AutoAttackStage {
  attack: AutoAttackName;
  /** Examples it ran on (the ones still robust before it). */
  attacked: number;
  /** Examples it broke (its own success count). */
  broken: number;
  /** Robust accuracy after it, over the whole batch (cumulative). */
  robustAccuracy: number;
  seconds: number;
}

export interface AutoAttackResult {
  /** Adversarial examples where some attack succeeded, the clean input elsewhere. The caller owns it. */
  x: Tensor;
  n: number;
  cleanAccuracy: number;
  /** The worst case: the fraction robust against every attack of the ensemble. */
  robustAccuracy: number;
  stages: AutoAttackStage[];
  examples: {
    cleanCorrect: Uint8Array;
    /** 1 where every attack failed (and the clean input is classified correctly). */
    robust: Uint8Array;
    /** Index into `stages` of the attack that broke the example; −1 if none did (robust or clean-wrong). */
    brokenBy: Int8Array;
  };
}

const NAMES: readonly AutoAttackName[] = ['apgd-ce', 'apgd-dlr', 'apgd-t', 'square'];
const LOSS: Record<Exclude<AutoAttackName, 'square'>, ApgdLoss> = { 'apgd-ce': 'ce', 'apgd-dlr': 'dlr', 'apgd-t': 'dlr-targeted' };

/** Validate everything that can be checked on the host. */
function plan(o: AutoAttackOptions, x: Tensor) {
  const op = 'autoAttack';
  const norm = checkThreat(op, o.eps, o.norm);
  const version = o.version ?? 'standard';
  if (!(version in AUTOATTACK_VERSIONS)) throw new ValueError(`${op}: version '${String(version)}' must be one of ${Object.keys(AUTOATTACK_VERSIONS).join(', ')}`);
  const attacks = o.attacks ?? AUTOATTACK_VERSIONS[version];
  if (!Array.isArray(attacks) || attacks.length === 0) throw new ValueError(`${op}: attacks must be a non-empty list of ${NAMES.join(', ')}`);
  for (const a of attacks) {
    if (!NAMES.includes(a)) throw new ValueError(`${op}: unknown attack '${String(a)}'; choose from ${NAMES.join(', ')} (FAB-T is not implemented)`);
  }
  if (new Set(attacks).size !== attacks.length) throw new ValueError(`${op}: attacks ${attacks.join(', ')} lists one twice`);
  const seed = o.seed ?? 0;
  const batchSize = intOption(op, 'batchSize', o.batchSize, 512);
  const restarts = intOption(op, 'restarts', o.restarts, version === 'plus' ? 5 : 1);
  const apgd = (a: Exclude<AutoAttackName, 'square'>) =>
    resolveApgd(op, { eps: o.eps, norm, steps: o.steps, loss: LOSS[a], restarts: a === 'apgd-t' ? 1 : restarts, targets: o.targets, seed, batchSize });
  const square = resolveSquare(op, { eps: o.eps, norm, nQueries: o.nQueries, seed, batchSize });
  if (attacks.includes('square')) checkSquareShape(op, x, norm);
  return { op, attacks: attacks as readonly AutoAttackName[], apgd, square, batchSize };
}

/**
 * Robust accuracy under AutoAttack, with the adversarial examples and each attack's share. Checks
 * every argument (ε, norm, labels, the batch against the model, inputs in [0, 1]) before attacking.
 *
 *   const aa = await robust.autoAttack(model, x, y, { eps: 0.3, norm: 'linf' });
 *   console.log(aa.cleanAccuracy, aa.stages.map((s) => [s.attack, s.robustAccuracy]), aa.robustAccuracy);
 *   aa.x.dispose();
 */
export async function autoAttack(model: Module, x: Tensor, y: ArrayLike<number>, opts: AutoAttackOptions): Promise<AutoAttackResult> {
  checkBatch('autoAttack', x, y, opts);
  const p0 = plan(opts, x);
  const runs = p0.attacks.map((a) => ({ name: a, apgd: a === 'square' ? null : p0.apgd(a) }));
  const classCheck = (C: number) => runs.forEach((r) => r.apgd && apgdTargets(`autoAttack (${r.name})`, r.apgd.loss, C, r.apgd.targets));
  if (opts.numClasses !== undefined) classCheck(opts.numClasses);
  return withEvalMode(model, async () => {
    const p = await prepareAttack(p0.op, model, x, y, opts);
    const set = new AdversarialSet(p);
    try {
      classCheck(p.C);
      const brokenBy = new Int8Array(p.B).fill(-1);
      const stages: AutoAttackStage[] = [];
      for (const [k, run] of runs.entries()) {
        const before = Uint8Array.from(set.robust);
        const attacked = set.robustCount;
        const t0 = performance.now();
        if (attacked > 0) {
          if (run.apgd) await runApgd(p, set, run.apgd, run.name, opts.onProgress);
          else await runSquare(p, set, p0.square, run.name, undefined, opts.onProgress);
        }
        before.forEach((b, i) => b && !set.robust[i] && (brokenBy[i] = k));
        stages.push({ attack: run.name, attacked, broken: attacked - set.robustCount, robustAccuracy: set.robustCount / p.B, seconds: (performance.now() - t0) / 1000 });
      }
      const o = outcome(set);
      const cleanCount = o.cleanCorrect.reduce((s, v) => s + v, 0);
      return {
        x: o.x,
        n: p.B,
        cleanAccuracy: cleanCount / p.B,
        robustAccuracy: set.robustCount / p.B,
        stages,
        examples: { cleanCorrect: o.cleanCorrect, robust: Uint8Array.from(set.robust), brokenBy },
      };
    } catch (e) {
      set.dispose();
      throw e;
    } finally {
      disposePrepared(p);
    }
  });
}
