import { tidy } from '../engine.js';
import { ShapeError, ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { tensor } from '../ops/creation.js';
import { add, clamp, mul } from '../ops/elementwise.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import type { Norm, Objective } from './attacks.js';
import { apgdRun } from './apgd-run.js';
import { disposeGeometry, stepGeometry } from './apgd-step.js';
import { dlrAscent, dlrTargetedAscent } from './dlr.js';
import { ceAscent } from './objectives.js';
import {
  attackBatch, checkThreat, chunksOf, intOption, type AdversarialSet, type AttackOutcome, type AttackProgress, type BatchOptions, type Prepared,
} from './prepare.js';
import { exampleRng, labelRows, oneHotRows, readFlags, takeRows } from './rows.js';

/** 'ce': cross-entropy; 'dlr': DLR; 'dlr-targeted': targeted DLR against the top classes in turn (APGD-T). */
export type ApgdLoss = 'ce' | 'dlr' | 'dlr-targeted';

export interface ApgdOptions extends BatchOptions {
  /** Radius of the threat ball, >= 0. */
  eps: number;
  /** Default 'linf'. */
  norm?: Norm;
  /** Iterations N per run; default 100. */
  steps?: number;
  /** Runs per example (per target for APGD-T), each only on the examples still robust; default 1. */
  restarts?: number;
  /** Default 'ce'. */
  loss?: ApgdLoss;
  /** APGD-T: attack the 2nd … (targets+1)-th largest clean logits in turn; default min(9, C − 1). */
  targets?: number;
  /** ρ of the step-size rule; default 0.75. */
  rho?: number;
  /** Seed of the random starts; default 0. Each example draws from its own stream. */
  seed?: number;
  /** Start from a random point of the ball (default true, as the reference) or from x itself. */
  randomStart?: boolean;
  onProgress?: (p: AttackProgress) => void;
}

export interface ResolvedApgd {
  eps: number;
  norm: Norm;
  steps: number;
  restarts: number;
  loss: ApgdLoss;
  targets: number | null;
  rho: number;
  seed: number;
  randomStart: boolean;
  batchSize: number;
}

/** Validate options on the host (no GPU work). */
export function resolveApgd(op: string, o: ApgdOptions): ResolvedApgd {
  const norm = checkThreat(op, o.eps, o.norm);
  const loss = o.loss ?? 'ce';
  if (loss !== 'ce' && loss !== 'dlr' && loss !== 'dlr-targeted') throw new ValueError(`${op}: loss '${String(loss)}' must be 'ce', 'dlr' or 'dlr-targeted'`);
  const rho = o.rho ?? 0.75;
  if (!(typeof rho === 'number' && rho > 0 && rho < 1)) throw new ValueError(`${op}: rho ${String(rho)} must lie in (0, 1)`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ValueError(`${op}: seed ${String(seed)} must be an integer`);
  return {
    eps: o.eps,
    norm,
    steps: intOption(op, 'steps', o.steps, 100),
    restarts: intOption(op, 'restarts', o.restarts, 1),
    loss,
    targets: o.targets === undefined ? null : intOption(op, 'targets', o.targets, 1),
    rho,
    seed,
    randomStart: o.randomStart ?? true,
    batchSize: intOption(op, 'batchSize', o.batchSize, 512),
  };
}

/** The per-example objective of a loss, from one-hot labels (and targets) built once per run. */
export function apgdObjective(loss: ApgdLoss, onehotY: Tensor, onehotT: Tensor | null, eye: Tensor): Objective {
  if (loss === 'ce') return (z) => ceAscent(z, onehotY);
  if (loss === 'dlr') return (z) => dlrAscent(z, onehotY, eye);
  return (z) => dlrTargetedAscent(z, onehotY, onehotT!, eye);
}

/**
 * The reference's random start, drawn on the host (one stream per example) and added on the
 * device: L∞ x0 + ε·t/‖t‖∞ with t ~ U(−1, 1)^d, L2 x0 + ε·t/‖t‖₂ with t ~ N(0, I), clipped to [0, 1].
 */
export function apgdStart(x0: Tensor, norm: Norm, eps: number, rngs: readonly Rng[]): Tensor {
  const n = x0.shape[0]!;
  const d = x0.size / n;
  const noise = new Float64Array(x0.size);
  for (let b = 0; b < n; b++) {
    const t = norm === 'linf' ? rngs[b]!.fillUniform(d, -1, 1) : rngs[b]!.fillNormal(d);
    let scale = 0;
    for (const v of t) scale = norm === 'linf' ? Math.max(scale, Math.abs(v)) : scale + v * v;
    if (norm === 'l2') scale = Math.sqrt(scale);
    for (let j = 0; j < d; j++) noise[b * d + j] = (eps * t[j]!) / (scale + 1e-12);
  }
  return tidy(() => clamp(add(x0, tensor(noise, x0.shape, { backend: x0.backend })), 0, 1));
}

/** Index of the rank-th largest clean logit of example i (rank 1 = the top class). */
function rankedClass(p: Prepared, i: number, rank: number): number {
  const row = p.cleanLogits.subarray(i * p.C, (i + 1) * p.C);
  const order = Array.from({ length: p.C }, (_, j) => j).sort((a, b) => row[b]! - row[a]! || a - b);
  return order[rank - 1]!;
}

/** How many targets APGD-T attacks, checked against the classes (clear errors, no GPU work). */
export function apgdTargets(op: string, loss: ApgdLoss, C: number, targets: number | null): number {
  if (loss === 'dlr' && C < 3) throw new ShapeError(`${op}: the DLR loss needs at least 3 classes (it uses the 3rd largest logit), the model has ${C}; use loss 'ce'`);
  if (loss !== 'dlr-targeted') return 0;
  if (C < 4) throw new ShapeError(`${op}: the targeted DLR loss needs at least 4 classes (it uses the 4th largest logit), the model has ${C}; use loss 'ce'`);
  const t = targets ?? Math.min(9, C - 1);
  if (t > C - 1) throw new ValueError(`${op}: ${t} target classes asked for, but a ${C}-class model has only ${C - 1} other classes`);
  return t;
}

/**
 * Run APGD on the examples of `set` still robust, restart by restart (and target by target for
 * APGD-T), each run only on the examples that survived the previous one, as the reference does.
 */
export async function runApgd(p: Prepared, set: AdversarialSet, r: ResolvedApgd, name: string, onProgress?: (e: AttackProgress) => void): Promise<void> {
  const nTargets = apgdTargets(p.op, r.loss, p.C, r.targets);
  const ranks = r.loss === 'dlr-targeted' ? Array.from({ length: nTargets }, (_, k) => k + 2) : [0];
  const be = p.x.backend;
  for (const rank of ranks) {
    for (let restart = 0; restart < r.restarts; restart++) {
      const idx = set.robustIndices();
      if (idx.length === 0) return;
      for (const chunk of chunksOf(idx, r.batchSize)) {
        const x0 = takeRows(p.x, chunk);
        const labels = chunk.map((i) => p.y[i]!);
        const onehotY = oneHotRows(labels, p.C, be);
        const labelsY = labelRows(labels, be);
        const onehotT = rank ? oneHotRows(chunk.map((i) => rankedClass(p, i, rank)), p.C, be) : null;
        const geometry = stepGeometry(r.norm, r.eps, x0);
        const stream = `apgd-${r.loss}/${rank}/${restart}`;
        const start = r.randomStart ? apgdStart(x0, r.norm, r.eps, chunk.map((i) => exampleRng(r.seed, stream, p.ids[i]!))) : tidy(() => mul(x0, 1));
        try {
          const objective = apgdObjective(r.loss, onehotY, onehotT, p.eye);
          const run = await apgdRun(p.model, start, { steps: r.steps, rho: r.rho, geometry, objective, labels: labelsY });
          for (const t of [run.best, run.bestLoss, run.stepSize]) t.dispose();
          await set.acceptFooled(chunk, run.adversarial, await readFlags(run.fooled)).finally(() => run.adversarial.dispose());
        } finally {
          disposeGeometry(geometry);
          for (const t of [x0, onehotY, labelsY, onehotT]) t?.dispose();
        }
      }
      const stage = rank ? `target ${rank - 1}/${nTargets}, restart ${restart + 1}/${r.restarts}` : `restart ${restart + 1}/${r.restarts}`;
      onProgress?.({ attack: name, stage, robust: set.robustCount, n: p.B });
    }
  }
}

/**
 * APGD (Croce & Hein 2020): step size 2ε halved per example at the checkpoints, momentum 0.75,
 * restarts from the best point; CE, DLR or targeted DLR (APGD-T); L∞ or L2. Checks every argument
 * (and that inputs lie in [0, 1]) before the attack runs.
 *
 *   const r = await robust.apgd(model, x, y, { eps: 0.3, loss: 'dlr-targeted' });
 */
export async function apgd(model: Module, x: Tensor, y: ArrayLike<number>, opts: ApgdOptions): Promise<AttackOutcome> {
  const r = resolveApgd('apgd', opts);
  const name = r.loss === 'ce' ? 'apgd-ce' : r.loss === 'dlr' ? 'apgd-dlr' : 'apgd-t';
  if (opts.numClasses !== undefined) apgdTargets('apgd', r.loss, opts.numClasses, r.targets);
  return attackBatch('apgd', model, x, y, opts, (p, set) => runApgd(p, set, r, name, opts.onProgress));
}
