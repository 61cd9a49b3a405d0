/**
 * Small helpers the finding files share: reading numbers that may have gone through JSON (NaN is
 * saved as null), formatting, per-layer halves, seed-averaged matrices, seed-spread series for the
 * figures, and one sentence per training run stating the settings a verdict rests on.
 */
import type { CkaMatrix } from '../../analysis/minibatch.js';
import type { SpreadSeries } from '../../report/svg.js';
import type { StudyConfig } from '../config.js';
import type { TrainedSummary } from '../models.js';
import type { ModelEval } from '../results.js';
import { mean, tInterval } from '../stats.js';

/** A number from the results; anything else (null after a JSON round trip of NaN, undefined) is NaN. */
export const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

export const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');
export const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
export const fmtCi = (ci: readonly [number, number], f: (v: number) => string = f3): string => `[${f(ci[0])}, ${f(ci[1])}]`;
/** Percentage points, signed. */
export const pts = (v: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)} points` : 'n/a');

/** The diagonal (matching layers) of a layer × layer matrix, as numbers. */
export const diagonal = (m: CkaMatrix): number[] => Array.from({ length: Math.min(m.rows.length, m.cols.length) }, (_, i) => num(m.values[i]?.[i]));

/** Means of the first ⌈L/2⌉ layers and of the rest (NaN-aware: dead layers are left out). */
export function halves(v: readonly number[]): [early: number, late: number] {
  const cut = Math.ceil(v.length / 2);
  return [mean(v.slice(0, cut)), mean(v.slice(cut))];
}

/** The element-wise mean of matrices of the same layers (one per seed), NaN where no seed has a value. */
export function meanMatrix(ms: readonly CkaMatrix[]): CkaMatrix {
  const first = ms[0]!;
  const values = first.rows.map((_, i) => first.cols.map((__, j) => mean(ms.map((m) => num(m.values[i]?.[j])))));
  return { ...first, values, estimator: `${first.estimator}, mean of ${ms.length} seed${ms.length === 1 ? '' : 's'}` };
}

/** A seed-spread series: each seed's row, and the mean with its t interval at each x. */
export function spread(name: string, x: readonly number[], perSeed: readonly (readonly number[])[], dashed = false): SpreadSeries {
  const cols = x.map((_, k) => tInterval(perSeed.map((row) => num(row[k]))));
  return { name, x, perSeed, mean: cols.map((c) => c.estimate), lo: cols.map((c) => c.lo), hi: cols.map((c) => c.hi), dashed };
}

export const SPREAD_NOTE = '95% t interval over seeds';

/** The attack behind a model's robust accuracy: AutoAttack where the evaluation ran it, else PGD-K. */
export function robustOf(e: ModelEval): { value: number; attack: string } {
  return typeof e.autoAttack === 'number' ? { value: e.autoAttack, attack: 'AutoAttack' } : { value: num(e.pgd), attack: `PGD-${e.steps}` };
}

const g = (v: number): string => String(Number(v.toPrecision(3)));

/** One sentence of how a model was trained (what its verdicts rest on), from its recorded settings. */
export function describeRun(name: string, t: TrainedSummary | undefined, cfg: Pick<StudyConfig, 'eps'>): string {
  const s = t?.settings;
  if (!s) return `${name}: ${t ? `${t.recipe}, ${t.log.length} epochs` : 'not trained in these results'} (training settings not recorded in these results)`;
  const r = s.recipe;
  const atk = 'attack' in r ? r.attack : null;
  const epsNote = atk && Math.abs(atk.eps - cfg.eps) > 1e-12 ? ` (the study's ε is ${g(cfg.eps)})` : '';
  const recipe = r.kind === 'standard' ? 'standard training'
    : atk ? `${r.kind === 'trades' ? `TRADES β = ${g(r.beta)}` : 'PGD-AT'} with PGD-${atk.steps}${atk.norm === 'l2' ? ' (L2)' : ''} at ε = ${g(atk.eps)}${epsNote}, α = ${g(atk.alpha ?? (2.5 * atk.eps) / atk.steps)}${'te' in r && r.te ? ', temporal ensembling' : ''}`
      : r.kind;
  const opt = s.optimizer === 'Adam' ? `Adam lr ${g(s.lr)}` : `SGD lr ${g(s.lr)} momentum ${s.momentum}`;
  const noise = s.labelNoise ? `, ${g(100 * s.labelNoise.rate)}% of the labels drawn uniformly at random from ${s.labelNoise.numClasses} classes` : '';
  return `${name}: ${recipe}; ${opt}, ${s.weightDecay ? `weight decay ${g(s.weightDecay)}` : 'no weight decay'}, batch ${s.batchSize}, ${s.epochs} epochs on ${s.trainSize} images${noise}`;
}

/** Per-seed values as report numbers: "seed 0" → value. */
export const perSeedNumbers = (label: string, per: readonly { seed: number; value: number }[]): Record<string, number> =>
  Object.fromEntries(per.map((p) => [`${label}, seed ${p.seed}`, p.value]));
