/**
 * Paper (c), Dong et al. 2022: memorisation in adversarial training (methods.md §3, §6 c1–c3). The
 * accuracies here are counts over images, so the unit of replication is the example within a seed and
 * the interval the two-stage bootstrap over seeds × examples.
 */
import { spreadChart } from '../../report/svg.js';
import type { TrainedSummary } from '../models.js';
import { MODELS, type OverfitRun, type SeedResults, type StudyInput } from '../results.js';
import { mean, wilsonInterval } from '../stats.js';
import { describeRun, f3, fmtCi, num, pct, perSeedNumbers, pts, spread, SPREAD_NOTE } from './present.js';
import { bootstrapSeeds, INTERVAL, need, seedsOf, StudyResultError, UNIT, type FindingDef } from './verdict.js';

export const PAPER_C = '(c) Dong et al. 2022: memorization in adversarial training';

/** Robust training accuracy after the last epoch of a random-label run, as a count of its images. */
function lastRobust(id: string, s: SeedResults, name: string, input: StudyInput) {
  const t = need(id, s.seed, 'trained', s.trained, name);
  const acc = num(t.log[t.log.length - 1]?.trainEvalRobustAcc);
  const n = t.settings?.trainSize ?? input.config.sizes.randomLabelSize;
  const k = Math.round(acc * n);
  if (Number.isFinite(acc) && Math.abs(acc * n - k) > 1e-6 * n) {
    throw new StudyResultError(`${id}: the robust training accuracy ${acc} of '${name}' (seed ${s.seed}) is not a count out of its ${n} training images`);
  }
  const ones = Number.isFinite(acc) ? Array.from({ length: n }, (_, i) => (i < k ? 1 : 0)) : new Array<number>(n).fill(NaN);
  return { t, acc, n, k, ones, chance: 1 / (t.settings?.labelNoise?.numClasses ?? 10) };
}

const fraction = (ones: readonly number[], idx: Int32Array) => {
  let sum = 0;
  for (const i of idx) sum += ones[i]!;
  return sum / idx.length;
};

const evalNote = (t: TrainedSummary) =>
  t.settings ? `robust training accuracy measured after the last epoch with PGD-${t.settings.evalAttack.steps} at ε = ${t.settings.evalAttack.eps} on the same randomly labelled images` : 'robust training accuracy after the last epoch';

const curve = (input: StudyInput, name: string, key: 'trainEvalRobustAcc' | 'gradSqNorm') => {
  const rows = input.seeds.map((s) => (s.trained[name]?.log ?? []).map((l) => num(l[key])));
  return spread(name, rows[0]!.map((_, i) => i + 1), rows);
};

export const c1: FindingDef = {
  id: 'c1',
  paper: PAPER_C,
  claim: 'Networks can memorise adversarial examples of training data with completely random labels: PGD-AT converges.',
  short: 'PGD-AT memorises random labels',
  statistic: 'Robust training accuracy of PGD-AT on uniformly random labels after its last epoch, minus chance (1/C), pooled per seed over its training images',
  statisticShort: 'robust train acc − chance',
  unit: UNIT.examples,
  interval: INTERVAL.bootstrap,
  delta: 0.8,
  deltaReason: 'The paper reports convergence to about 100% robust training accuracy; 90% (chance + 0.8 with 10 classes) is the least we call memorised. A network that fits a third of the random labels has not converged.',
  models: [MODELS.rlPgdAt],
  judge(input) {
    const seeds = seedsOf('c1', input);
    const rows = seeds.map((s) => lastRobust('c1', s, MODELS.rlPgdAt, input));
    const r = bootstrapSeeds('c1', seeds, rows.map((x) => [x.n]), (g, [idx]) => fraction(rows[g]!.ones, idx!) - rows[g]!.chance);
    const finiteRows = rows.filter((x) => Number.isFinite(x.acc));
    const K = finiteRows.reduce((a, x) => a + x.k, 0);
    const N = finiteRows.reduce((a, x) => a + x.n, 0);
    const w = N > 0 ? wilsonInterval(K, N) : { estimate: NaN, lo: NaN, hi: NaN };
    const chance = rows[0]!.chance;
    return {
      ...r,
      control: {
        name: 'chance', description: `chance accuracy is 1/C = ${pct(chance)}; the pooled robust training accuracy (${K} of ${N} images) is above chance when the low end of its interval is`,
        estimate: w.estimate, ci: [w.lo, w.hi], interval: 'Wilson score interval',
      },
      ours: `PGD-AT on random labels reached ${pct(mean(rows.map((x) => x.acc)))} robust training accuracy (chance ${pct(chance)}): above chance by ${f3(r.estimate)} ${fmtCi(r.ci)}.`,
      settings: `${describeRun(MODELS.rlPgdAt, rows[0]!.t, input.config)}; ${evalNote(rows[0]!.t)}`,
      numbers: {
        'robust train accuracy (mean over seeds)': mean(rows.map((x) => x.acc)),
        'clean train accuracy (mean over seeds)': mean(rows.map((x) => num(x.t.log[x.t.log.length - 1]?.trainEvalCleanAcc))),
        'images per seed': rows[0]!.n, epochs: rows[0]!.t.log.length, ...perSeedNumbers('robust train acc − chance', r.perSeed),
      },
    };
  },
  figures(input) {
    const names = [MODELS.rlPgdAt, MODELS.rlTrades, MODELS.rlTradesBeta1].filter((n) => input.seeds.every((s) => s.trained[n]));
    return [{ caption: 'Robust training accuracy against the random labels after each epoch.', svg: spreadChart(names.map((n) => curve(input, n, 'trainEvalRobustAcc')), { title: 'random labels: robust train accuracy', xlabel: 'epoch', ylabel: 'accuracy', yMin: 0, yMax: 1, interval: SPREAD_NOTE }) }];
  },
};

/** The settings two runs must share for a comparison of their algorithms to mean anything. */
function sameSettings(id: string, a: TrainedSummary, b: TrainedSummary): void {
  const sa = a.settings;
  const sb = b.settings;
  if (!sa || !sb) return;
  const key = (s: NonNullable<TrainedSummary['settings']>) => ({
    optimizer: s.optimizer, lr: s.lr, weightDecay: s.weightDecay, batchSize: s.batchSize, epochs: s.epochs, trainSize: s.trainSize,
    eps: 'attack' in s.recipe ? s.recipe.attack.eps : null, steps: 'attack' in s.recipe ? s.recipe.attack.steps : null, labelNoise: JSON.stringify(s.labelNoise),
  });
  const ka = key(sa);
  const kb = key(sb);
  const diff = (Object.keys(ka) as (keyof typeof ka)[]).filter((k) => ka[k] !== kb[k]).map((k) => `${k} ${ka[k]} vs ${kb[k]}`);
  if (diff.length) throw new StudyResultError(`${id} compares ${a.name} and ${b.name}, which must share optimiser, ε and data, but they differ: ${diff.join(', ')}`);
}

export const c2: FindingDef = {
  id: 'c2',
  paper: PAPER_C,
  claim: 'Not all adversarial training algorithms converge on random labels: TRADES (β = 6) stays near chance where PGD-AT converges.',
  short: 'TRADES (β = 6) does not memorise; PGD-AT does',
  statistic: 'Robust training accuracy on random labels after the last epoch: PGD-AT minus TRADES β = 6, both with the same optimiser, ε, epochs and images; per seed',
  statisticShort: 'acc(PGD-AT) − acc(TRADES)',
  unit: UNIT.examples,
  interval: INTERVAL.bootstrap,
  delta: 0.5,
  deltaReason: 'The claim is a qualitative contrast, convergence against chance; a difference smaller than half of the training set is not that contrast.',
  models: [MODELS.rlPgdAt, MODELS.rlTrades],
  judge(input) {
    const seeds = seedsOf('c2', input);
    const pgd = seeds.map((s) => lastRobust('c2', s, MODELS.rlPgdAt, input));
    const tr = seeds.map((s) => lastRobust('c2', s, MODELS.rlTrades, input));
    seeds.forEach((_, i) => sameSettings('c2', pgd[i]!.t, tr[i]!.t));
    // The two models were evaluated on the same images but their per-image pairing is not saved: resample them independently.
    const r = bootstrapSeeds('c2', seeds, seeds.map((_, i) => [pgd[i]!.n, tr[i]!.n]), (g, [a, b]) => fraction(pgd[g]!.ones, a!) - fraction(tr[g]!.ones, b!));
    const b1 = seeds.every((s) => s.trained[MODELS.rlTradesBeta1]) ? seeds.map((s) => lastRobust('c2', s, MODELS.rlTradesBeta1, input)) : null;
    const gradMean = (rows: typeof pgd) => mean(rows.map((x) => mean(x.t.log.map((l) => num(l.gradSqNorm)))));
    return {
      ...r,
      control: null,
      ours: `Robust training accuracy on the same random labels: ${pct(mean(pgd.map((x) => x.acc)))} PGD-AT, ${pct(mean(tr.map((x) => x.acc)))} TRADES β = 6` +
        `${b1 ? `, ${pct(mean(b1.map((x) => x.acc)))} TRADES β = 1` : ' (TRADES β = 1 not measured)'} (chance ${pct(pgd[0]!.chance)}). The difference is ${f3(r.estimate)} ${fmtCi(r.ci)}.`,
      settings: [MODELS.rlPgdAt, MODELS.rlTrades, ...(b1 ? [MODELS.rlTradesBeta1] : [])].map((n) => describeRun(n, seeds[0]!.trained[n], input.config)).join('. ') + `; ${evalNote(pgd[0]!.t)}`,
      numbers: {
        'PGD-AT robust train acc': mean(pgd.map((x) => x.acc)), 'TRADES β=6 robust train acc': mean(tr.map((x) => x.acc)),
        'TRADES β=1 robust train acc': b1 ? mean(b1.map((x) => x.acc)) : 'not measured',
        'PGD-AT mean Σ‖∂L/∂θ‖²': gradMean(pgd), 'TRADES β=6 mean Σ‖∂L/∂θ‖²': gradMean(tr), ...perSeedNumbers('PGD-AT − TRADES', r.perSeed),
      },
    };
  },
  figures(input) {
    const names = [MODELS.rlPgdAt, MODELS.rlTrades, MODELS.rlTradesBeta1].filter((n) => input.seeds.every((s) => s.trained[n]));
    return [{ caption: 'Squared parameter-gradient norm per epoch on random labels (the gradient-instability signal).', svg: spreadChart(names.map((n) => curve(input, n, 'gradSqNorm')), { title: 'Σ‖∂L/∂θ‖² per epoch', xlabel: 'epoch', ylabel: 'squared norm', interval: SPREAD_NOTE }) }];
  },
};

/**
 * A robust-overfitting run, checked: its best epoch is the first maximum of the validation robust
 * accuracy, its gap images are disjoint from the validation split, and its per-image results are 0 or 1
 * (NaN, saved as null, where unknown). A run with no finite validation accuracy chose no best epoch:
 * its gap is unknown (NaN), never a number.
 */
export function overfitRun(id: string, s: SeedResults, name: string): OverfitRun {
  const run = need(id, s.seed, 'robustOverfitting', s.robustOverfitting, name);
  const g = run.gap;
  if (g.best.length !== g.indices.length || g.last.length !== g.indices.length) {
    throw new StudyResultError(`${id}: '${name}' (seed ${s.seed}) has ${g.indices.length} gap images but ${g.best.length} best and ${g.last.length} last results`);
  }
  const best = g.best.map(num);
  const last = g.last.map(num);
  if (![...best, ...last].every((x) => x === 0 || x === 1 || Number.isNaN(x))) {
    throw new StudyResultError(`${id}: '${name}' (seed ${s.seed}): gap.best and gap.last must hold 0 or 1 per image`);
  }
  if (run.validation.source === g.source) {
    const val = new Set(run.validation.indices);
    const shared = g.indices.filter((i) => val.has(i));
    if (shared.length) {
      throw new StudyResultError(`${id}: '${name}' (seed ${s.seed}) measures its gap on ${shared.length} images of the validation split that chose its best epoch (e.g. ${g.source}[${shared[0]}]); the two must be disjoint`);
    }
  }
  const v = run.validation.robustAcc.map(num);
  const finiteV = v.filter(Number.isFinite);
  if (finiteV.length === 0) return { ...run, gap: { ...g, best: best.map(() => NaN), last: last.map(() => NaN) } };
  const first = v.indexOf(Math.max(...finiteV)) + 1;
  if (run.bestEpoch !== first) {
    throw new StudyResultError(`${id}: '${name}' (seed ${s.seed}) records best epoch ${run.bestEpoch}, but the first maximum of its validation robust accuracy is epoch ${first}: the best checkpoint must be chosen on the validation split`);
  }
  return { ...run, gap: { ...g, best, last } };
}

const gapOf = (run: OverfitRun, idx: Int32Array) => {
  let sum = 0;
  for (const i of idx) sum += run.gap.best[i]! - run.gap.last[i]!;
  return sum / idx.length;
};
const acc = (xs: readonly number[]) => mean(xs);
const RO = MODELS.roPgdAt;
const RO_TE = MODELS.roPgdAtTe;

export const c3: FindingDef = {
  id: 'c3',
  paper: PAPER_C,
  claim: 'Robust overfitting: test robust accuracy peaks during adversarial training and then falls.',
  short: 'Robust overfitting (best − last > 0)',
  statistic: `Robust accuracy of the best checkpoint (chosen on a validation split) minus that of the last checkpoint of ${RO}, on test images disjoint from the validation split, per seed`,
  statisticShort: 'robust acc: best − last',
  unit: UNIT.examples,
  interval: INTERVAL.bootstrap,
  delta: 0.02,
  deltaReason: 'Two points of robust accuracy is the smallest best-minus-last gap we would call overfitting; the run is sized (≥ 2,000 gap images) to resolve about ±1.5 points.',
  models: [RO],
  judge(input) {
    const seeds = seedsOf('c3', input);
    const runs = seeds.map((s) => overfitRun('c3', s, RO));
    const r = bootstrapSeeds('c3', seeds, runs.map((x) => [x.gap.indices.length]), (g, [idx]) => gapOf(runs[g]!, idx!));
    const nGap = Math.min(...runs.map((x) => x.gap.indices.length));
    return {
      ...r,
      control: null,
      ours: `Best epochs (on ${runs[0]!.validation.indices.length} validation images): ${runs.map((x) => `${x.bestEpoch} of ${x.validation.robustAcc.length}`).join(', ')}. On ${nGap}+ other test images (${runs[0]!.gap.attack}), robust accuracy is ${pct(mean(runs.map((x) => acc(x.gap.best))))} at the best and ${pct(mean(runs.map((x) => acc(x.gap.last))))} at the last checkpoint: a gap of ${pts(r.estimate)} ${fmtCi(r.ci, pct)}.` +
        (nGap < 2000 ? ` (The protocol asks for at least 2,000 gap images; these results have ${nGap}.)` : ''),
      settings: `${describeRun(RO, seeds[0]!.trained[RO], input.config)}; best epoch chosen on ${runs[0]!.validation.source} images [validation], gap measured on ${runs[0]!.gap.source} images [disjoint] with ${runs[0]!.gap.attack}`,
      numbers: {
        'gap images per seed': nGap, 'validation images per seed': runs[0]!.validation.indices.length,
        'robust acc at best (mean)': mean(runs.map((x) => acc(x.gap.best))), 'robust acc at last (mean)': mean(runs.map((x) => acc(x.gap.last))),
        ...perSeedNumbers('best − last', r.perSeed), ...Object.fromEntries(runs.map((x, i) => [`best epoch, seed ${seeds[i]!.seed}`, x.bestEpoch])),
      },
    };
  },
  figures(input) {
    const names = [RO, RO_TE].filter((n) => input.seeds.every((s) => s.robustOverfitting?.[n]));
    const series = names.map((n) => {
      const rows = input.seeds.map((s) => s.robustOverfitting![n]!.validation.robustAcc.map(num));
      return spread(`${n} (validation)`, rows[0]!.map((_, i) => i + 1), rows);
    });
    return series.length ? [{ caption: 'Validation robust accuracy after each epoch (it chooses the best checkpoint).', svg: spreadChart(series, { title: 'robust accuracy per epoch', xlabel: 'epoch', ylabel: 'accuracy', yMin: 0, yMax: 1, interval: SPREAD_NOTE }) }] : [];
  },
};

export const c3te: FindingDef = {
  id: 'c3-te',
  paper: PAPER_C,
  claim: 'Temporal ensembling mitigates robust overfitting (smaller best − last gap).',
  short: 'Temporal ensembling shrinks the gap',
  statistic: `Best − last robust-accuracy gap of ${RO} minus that of ${RO_TE} (temporal ensembling), on the same gap images, paired per image, per seed`,
  statisticShort: 'gap(no TE) − gap(TE)',
  unit: UNIT.examples,
  interval: INTERVAL.bootstrap,
  delta: 0.02,
  deltaReason: 'The same two points as c3: a mitigation smaller than the smallest gap we would call overfitting is no mitigation. TE can only show one where c3 reproduces.',
  models: [RO, RO_TE],
  judge(input) {
    const seeds = seedsOf('c3-te', input);
    const plain = seeds.map((s) => overfitRun('c3-te', s, RO));
    const te = seeds.map((s) => overfitRun('c3-te', s, RO_TE));
    seeds.forEach((s, i) => {
      const a = plain[i]!.gap;
      const b = te[i]!.gap;
      if (a.source !== b.source || a.indices.length !== b.indices.length || a.indices.some((v, k) => v !== b.indices[k])) {
        throw new StudyResultError(`c3-te: seed ${s.seed} measures the gaps of ${RO} and ${RO_TE} on different images; the comparison is paired per image`);
      }
    });
    const r = bootstrapSeeds('c3-te', seeds, plain.map((x) => [x.gap.indices.length]), (g, [idx]) => gapOf(plain[g]!, idx!) - gapOf(te[g]!, idx!));
    const lastTe = mean(te.map((x) => acc(x.gap.last)));
    const lastPlain = mean(plain.map((x) => acc(x.gap.last)));
    return {
      ...r,
      control: null,
      ours: `Best − last gap ${pts(mean(plain.map((x) => acc(x.gap.best) - acc(x.gap.last))))} without and ${pts(mean(te.map((x) => acc(x.gap.best) - acc(x.gap.last))))} with temporal ensembling; last-checkpoint robust accuracy ${pct(lastPlain)} vs ${pct(lastTe)}. The reduction is ${pts(r.estimate)} ${fmtCi(r.ci, pct)}.`,
      settings: [RO, RO_TE].map((n) => describeRun(n, seeds[0]!.trained[n], input.config)).join('. '),
      numbers: { 'last robust acc, no TE': lastPlain, 'last robust acc, TE': lastTe, ...perSeedNumbers('gap(no TE) − gap(TE)', r.perSeed) },
    };
  },
  figures: () => [],
};

export const MEMORIZATION_FINDINGS: readonly FindingDef[] = [c1, c2, c3, c3te];
