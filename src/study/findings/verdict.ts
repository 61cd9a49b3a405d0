/**
 * The pre-registered test every finding runs, and the one rule that turns it into a verdict.
 *
 * Each finding states one oriented effect (the claim predicts a positive value), its unit of
 * replication, how its 95% interval is computed, and the smallest effect of interest δ with its reason.
 * `verdict` is the only place a verdict is decided:
 *   reproduced      the interval's low end is above 0 and the estimate is at least δ;
 *   not reproduced  the interval's high end is below δ;
 *   inconclusive    anything else, and whenever the estimate or a bound is NaN.
 */
import { RobustlensError, ValueError } from '../../errors.js';
import { hierarchicalBootstrap, tInterval, type Draw } from '../stats.js';
import type { StudyInput } from '../results.js';

export type Verdict = 'reproduced' | 'not reproduced' | 'inconclusive';

export function verdict(estimate: number, ci: readonly [number, number], delta: number): Verdict {
  if (!(delta > 0)) throw new ValueError(`verdict: the smallest effect of interest must be > 0, got ${delta}`);
  const [lo, hi] = ci;
  if (![estimate, lo, hi].every(Number.isFinite)) return 'inconclusive';
  if (lo > hi) throw new ValueError(`verdict: interval [${lo}, ${hi}] has its low end above its high end`);
  const reproduced = lo > 0 && estimate >= delta;
  const notReproduced = hi < delta;
  // Both can hold only if the estimate lies above its own interval; such an interval decides nothing.
  if (reproduced && notReproduced) return 'inconclusive';
  return reproduced ? 'reproduced' : notReproduced ? 'not reproduced' : 'inconclusive';
}

/** A finding's inputs are not in the results (a model, a control or an experiment that was not run). */
export class MissingResultError extends RobustlensError {}

/** The results contradict themselves or the finding's design (e.g. the validation and gap images overlap). */
export class StudyResultError extends RobustlensError {}

export const UNIT = { seeds: 'seeds', examples: 'examples within seeds' } as const;

export const INTERVAL = {
  t: 'Student-t interval over seeds: mean ± t(0.975, n−1)·sd/√n (needs two seeds or more)',
  bootstrap: 'percentile bootstrap over seeds × examples: 2,000 replicates, each resampling the seeds, then the examples within each seed (needs two seeds or more)',
} as const;

/** A baseline the claim is measured against, with its own interval. */
export interface Control {
  name: string;
  description: string;
  estimate: number;
  ci: [number, number];
  interval: string;
}

/** What a finding computes from the results; the verdict is added by `judgeFinding`, from this alone. */
export interface Judgement {
  estimate: number;
  ci: [number, number];
  /** The number of units the interval rests on (seeds). */
  n: number;
  perSeed: { seed: number; value: number }[];
  control: Control | null;
  /** Our result in one or two sentences, quoting the numbers. */
  ours: string;
  /** The settings the finding rests on (models, optimisers, ε, attacks, sizes). */
  settings: string;
  numbers: Record<string, number | string | null>;
}

export interface Figure {
  caption: string;
  svg: string;
}

export interface FindingDef {
  id: string;
  /** The section (paper) it belongs to. */
  paper: string;
  claim: string;
  /** The claim in a few words, for the verdict table. */
  short: string;
  /** The oriented effect in words, and as a short formula for the table. */
  statistic: string;
  statisticShort: string;
  unit: (typeof UNIT)[keyof typeof UNIT];
  interval: (typeof INTERVAL)[keyof typeof INTERVAL];
  delta: number;
  deltaReason: string;
  /** Models whose accuracy floors the finding rests on. */
  models: readonly string[];
  judge(input: StudyInput): Judgement;
  figures(input: StudyInput): Figure[];
}

/** What results.json holds per finding. */
export interface FindingRecord extends Judgement {
  id: string;
  claim: string;
  short: string;
  statistic: string;
  statisticShort: string;
  delta: number;
  deltaReason: string;
  unit: string;
  interval: string;
  verdict: Verdict;
  models: string[];
  /** Models below their accuracy floor (see floors.ts), as sentences. */
  flags: string[];
  /** Set when the results lack what the finding needs: the estimate is NaN and the verdict inconclusive. */
  missing?: string;
  /** Set when the results contradict the finding's design (a StudyResultError): NaN estimate, inconclusive. */
  error?: string;
}

/**
 * A record of `def` from its judgement. With `strict` a MissingResultError or StudyResultError
 * propagates; otherwise the finding is recorded as not measured, or not judged, with the error's
 * message (NaN estimate, inconclusive), so that one bad input never costs the rest of a study's report.
 * Any other error is a bug and propagates.
 */
export function judgeFinding(def: FindingDef, input: StudyInput, o: { strict?: boolean; flags?: string[] } = {}): FindingRecord {
  const spec = {
    id: def.id, claim: def.claim, short: def.short, statistic: def.statistic, statisticShort: def.statisticShort, delta: def.delta,
    deltaReason: def.deltaReason, unit: def.unit, interval: def.interval, models: [...def.models], flags: o.flags ?? [],
  };
  try {
    const j = def.judge(input);
    return { ...spec, ...j, verdict: verdict(j.estimate, j.ci, def.delta) };
  } catch (e) {
    if (o.strict || !(e instanceof MissingResultError || e instanceof StudyResultError)) throw e;
    const missing = e instanceof MissingResultError;
    return {
      ...spec, estimate: NaN, ci: [NaN, NaN], n: 0, perSeed: [], control: null, ours: `${missing ? 'Not measured' : 'Not judged: the results contradict the design'}: ${e.message}`,
      settings: '', numbers: {}, verdict: 'inconclusive', ...(missing ? { missing: e.message } : { error: e.message }),
    };
  }
}

/**
 * `record[key]` of one seed's results, or a MissingResultError that names the finding, the seed, where
 * it looked and the key (with `what` it means, e.g. the two models a cross matrix compares). `null` is a
 * value (e.g. a best-vs-last matrix of a run whose best epoch was the last).
 */
export function need<T>(id: string, seed: number, where: string, record: Readonly<Record<string, T>> | undefined, key: string, what?: string): T {
  const v = record?.[key];
  if (v === undefined) {
    const has = record ? Object.keys(record) : [];
    throw new MissingResultError(`${id} rests on '${key}'${what ? ` (${what})` : ''}, which the results of seed ${seed} do not have in ${where}` +
      `${has.length ? ` (it has ${has.join(', ')})` : record ? ' (it is empty)' : ' (not measured at all)'}; run the study stages that produce it`);
  }
  return v;
}

/** The finding needs at least one seed. */
export function seedsOf(id: string, input: StudyInput): StudyInput['seeds'] {
  if (input.seeds.length === 0) throw new MissingResultError(`${id}: the results hold no seeds`);
  return input.seeds;
}

/** Estimate and t interval over seeds of one value per seed (non-finite values are left out of both). */
export function overSeeds(seeds: readonly { seed: number }[], values: readonly number[]): Pick<Judgement, 'estimate' | 'ci' | 'n' | 'perSeed'> {
  const t = tInterval(values);
  return { estimate: t.estimate, ci: [t.lo, t.hi], n: t.n, perSeed: seeds.map((s, i) => ({ seed: s.seed, value: values[i]! })) };
}

/** A finding's bootstrap seed, derived from its id so that every finding draws its own stream. */
export function bootstrapSeed(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/**
 * The mean over seeds of a per-seed statistic, with the two-stage percentile bootstrap interval (NaN
 * bounds with fewer than two seeds, like the t interval).
 * `samples[s]` gives the sizes of seed s's independently resampled samples (one size for paired data,
 * two for two models evaluated without a known pairing); `perSeed(s, idx)` computes seed s's value
 * from one index draw per sample.
 */
export function bootstrapSeeds(
  id: string,
  seeds: readonly { seed: number }[],
  samples: readonly (readonly number[])[],
  perSeed: (seed: number, idx: readonly Int32Array[]) => number,
  replicates = 2000,
): Pick<Judgement, 'estimate' | 'ci' | 'n' | 'perSeed'> {
  const stat = (draws: readonly Draw[]) => {
    let total = 0;
    for (const d of draws) total += perSeed(d.group, d.idx);
    return total / draws.length;
  };
  // One seed: the examples would give an interval, but it would say nothing about another training run.
  const r = hierarchicalBootstrap(samples, stat, { seed: bootstrapSeed(id), replicates: seeds.length < 2 ? 0 : replicates });
  const identity = samples.map((sizes) => sizes.map((n) => Int32Array.from({ length: n }, (_, i) => i)));
  return { estimate: r.estimate, ci: [r.lo, r.hi], n: r.n, perSeed: seeds.map((s, i) => ({ seed: s.seed, value: perSeed(i, identity[i]!) })) };
}
