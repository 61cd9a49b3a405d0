/**
 * Paper (a), Cianfarani et al. 2022: representation similarity of robust and standard networks
 * (methods.md §5.1, §6 a1–a4). All four rest on per-seed CKA summaries; the unit of replication is the
 * seed (each seed trains its own models) and the interval is Student-t over seeds.
 */
import { heatmapSvg } from '../../report/heatmap.js';
import { longRangeSimilarity } from '../../analysis/summary.js';
import type { CkaMatrix } from '../../analysis/minibatch.js';
import { spreadChart } from '../../report/svg.js';
import { CROSS, MODELS, type SeedResults, type StudyInput } from '../results.js';
import { mean } from '../stats.js';
import { describeRun, diagonal, f3, fmtCi, halves, meanMatrix, num, pct, perSeedNumbers, spread, SPREAD_NOTE } from './present.js';
import { INTERVAL, MissingResultError, need, overSeeds, seedsOf, UNIT, type Control, type FindingDef, type Judgement } from './verdict.js';

export const PAPER_A = '(a) Cianfarani et al. 2022: representation similarity of robust and standard networks';

const CKA_DELTA = 'CKA lies in [0, 1] and the claim is about what a reader sees in layer × layer heatmaps; a change of less than 0.05 in a mean of CKA values does not change that picture.';
const lr = (m: CkaMatrix): number => longRangeSimilarity(m.values.map((r) => r.map(num)));
const within = (id: string, s: SeedResults, model: string) => need(id, s.seed, 'cka.within', s.cka.within, model);
const layersAxis = (v: readonly unknown[]) => v.map((_, i) => i);
const ckaChart = (title: string, series: Parameters<typeof spreadChart>[0]) =>
  spreadChart(series, { title, xlabel: 'layer index', ylabel: 'CKA', yMin: 0, yMax: 1, interval: SPREAD_NOTE });

export const a1: FindingDef = {
  id: 'a1',
  paper: PAPER_A,
  claim: 'Robust networks show amplified cross-layer similarity, even at long range, so the block structure of standard networks fades.',
  short: 'Robust nets: higher long-range cross-layer CKA',
  statistic: 'LR(PGD-AT) − LR(standard) per seed, where LR is the long-range similarity of a deep CNN: the mean of its layer × layer linear CKA over layer pairs at least L/2 apart',
  statisticShort: 'LR(AT) − LR(std)',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.05,
  deltaReason: CKA_DELTA,
  models: [MODELS.deepStandard, MODELS.deepPgdAt],
  judge(input: StudyInput): Judgement {
    const seeds = seedsOf('a1', input);
    const at = seeds.map((s) => lr(within('a1', s, MODELS.deepPgdAt)));
    const std = seeds.map((s) => lr(within('a1', s, MODELS.deepStandard)));
    const r = overSeeds(seeds, at.map((v, i) => v - std[i]!));
    // The noise floor: how far the LR of two standard models of different seeds differ (reported, not subtracted).
    const hasControl = seeds.every((s) => s.cka.within[MODELS.deepStandardB]);
    let control: Control | null = null;
    if (hasControl) {
      const c = overSeeds(seeds, seeds.map((s, i) => lr(s.cka.within[MODELS.deepStandardB]!) - std[i]!));
      control = { name: 'two standard seeds', description: 'LR(second standard deep CNN, another seed) − LR(standard deep CNN): the difference seed noise alone makes', estimate: c.estimate, ci: c.ci, interval: INTERVAL.t };
    }
    const rbf = input.seeds.every((s) => s.cka.rbf?.within[MODELS.deepPgdAt] && s.cka.rbf.within[MODELS.deepStandard])
      ? overSeeds(seeds, seeds.map((s) => lr(s.cka.rbf!.within[MODELS.deepPgdAt]!) - lr(s.cka.rbf!.within[MODELS.deepStandard]!))) : null;
    return {
      ...r,
      control,
      ours: `Long-range CKA is ${f3(mean(at))} for the PGD-AT deep CNN and ${f3(mean(std))} for the standard one (means over ${seeds.length} seeds); the difference is ${f3(r.estimate)} ${fmtCi(r.ci)}.` +
        (control ? ` Two standard seeds differ by ${f3(control.estimate)} ${fmtCi(control.ci)} (the noise floor).` : ' The standard-vs-standard noise floor was not measured in these results.') +
        (rbf ? ` With the RBF kernel: ${f3(rbf.estimate)} ${fmtCi(rbf.ci)}.` : ''),
      settings: [describeRun(MODELS.deepStandard, seeds[0]!.trained[MODELS.deepStandard], input.config), describeRun(MODELS.deepPgdAt, seeds[0]!.trained[MODELS.deepPgdAt], input.config)].join('. '),
      numbers: {
        'LR PGD-AT (mean)': mean(at), 'LR standard (mean)': mean(std), ...perSeedNumbers('LR(AT) − LR(std)', r.perSeed),
        'RBF CKA: LR(AT) − LR(std)': rbf ? rbf.estimate : 'not measured',
        ...Object.fromEntries([MODELS.deepStandard, MODELS.deepPgdAt].map((n) => [`first-PC variance share, ${n} (mean over layers and seeds)`, mean(seeds.flatMap((s) => (s.cka.within[n]?.firstPcRows ?? []).map(num)))])),
      },
    };
  },
  figures(input) {
    const mats = (n: string) => input.seeds.map((s) => within('a1', s, n));
    const pc = [MODELS.deepStandard, MODELS.deepPgdAt].filter((n) => input.seeds.every((s) => s.cka.within[n]?.firstPcRows));
    const pcRows = (n: string) => input.seeds.map((s) => s.cka.within[n]!.firstPcRows!.map(num));
    return [
      { caption: 'Layer × layer linear CKA of the standard deep CNN (clean test images), mean over seeds.', svg: heatmapSvg(meanMatrix(mats(MODELS.deepStandard)), { title: 'deep CNN, standard' }) },
      { caption: 'The same for the PGD-AT deep CNN.', svg: heatmapSvg(meanMatrix(mats(MODELS.deepPgdAt)), { title: 'deep CNN, PGD-AT' }) },
      ...(pc.length ? [{
        caption: 'Share of each layer\'s variance along its first principal component: block structure goes with one dominant component (methods.md §5.1).',
        svg: spreadChart(pc.map((n, i) => spread(n, layersAxis(pcRows(n)[0]!), pcRows(n), i > 0)), { title: 'first-PC variance share', xlabel: 'layer index', ylabel: 'λ₁ / Σλ', yMin: 0, yMax: 1, interval: SPREAD_NOTE }),
      }] : []),
    ];
  },
};

const CROSS_MEANS: Record<string, string> = {
  [CROSS.deep]: `${MODELS.deepStandard} × ${MODELS.deepPgdAt}`,
  [CROSS.deepControl]: `${MODELS.deepStandard} × ${MODELS.deepStandardB}, the standard-vs-standard control`,
};
const crossOf = (id: string, s: SeedResults, key: string) => need(id, s.seed, 'cka.cross', s.cka.cross, key, CROSS_MEANS[key]);

export const a2: FindingDef = {
  id: 'a2',
  paper: PAPER_A,
  claim: 'Standard and robust networks of the same architecture are similar in early layers and dissimilar in late layers.',
  short: 'Std vs robust: similar early, dissimilar late',
  statistic: 'Per layer, D = CKA(standard, second standard) − CKA(standard, PGD-AT) on matching layers of the deep CNN (the dissimilarity robust training adds beyond seed noise); the statistic is mean D over the second half of the layers minus mean D over the first half, per seed',
  statisticShort: 'D(late) − D(early)',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.05,
  deltaReason: CKA_DELTA,
  models: [MODELS.deepStandard, MODELS.deepPgdAt, MODELS.deepStandardB],
  judge(input) {
    const seeds = seedsOf('a2', input);
    const parts = seeds.map((s) => {
      const x = diagonal(crossOf('a2', s, CROSS.deep));
      const c = diagonal(crossOf('a2', s, CROSS.deepControl));
      if (x.length !== c.length) throw new MissingResultError(`a2: seed ${s.seed} compares ${x.length} layers standard × PGD-AT but ${c.length} standard × standard; the two cross matrices must cover the same layers`);
      const [de, dl] = halves(c.map((v, i) => v - x[i]!));
      const [ce, cl] = halves(c);
      const [xe, xl] = halves(x);
      return { effect: dl - de, controlDrop: ce - cl, xe, xl, ce, cl };
    });
    const r = overSeeds(seeds, parts.map((p) => p.effect));
    const ctl = overSeeds(seeds, parts.map((p) => p.controlDrop));
    // The same statistic with the RBF kernel, where measured (reported beside the linear one, not judged).
    const rbfCross = (s: SeedResults) => s.cka.rbf?.cross;
    const rbf = seeds.every((s) => rbfCross(s)?.[CROSS.deep] && rbfCross(s)?.[CROSS.deepControl])
      ? mean(seeds.map((s) => {
        const x = diagonal(rbfCross(s)![CROSS.deep]!);
        const c = diagonal(rbfCross(s)![CROSS.deepControl]!);
        const [de, dl] = halves(c.map((v, i) => v - x[i]!));
        return dl - de;
      })) : NaN;
    return {
      ...r,
      control: { name: 'two standard seeds', description: 'early − late mean of the diagonal CKA between two standard deep CNNs of different seeds: how much seed noise alone lowers late-layer similarity', estimate: ctl.estimate, ci: ctl.ci, interval: INTERVAL.t },
      ours: `Matching-layer CKA standard × PGD-AT: ${f3(mean(parts.map((p) => p.xe)))} in the first half of the layers, ${f3(mean(parts.map((p) => p.xl)))} in the second; standard × standard (another seed): ${f3(mean(parts.map((p) => p.ce)))} and ${f3(mean(parts.map((p) => p.cl)))}. The extra late-layer dissimilarity is ${f3(r.estimate)} ${fmtCi(r.ci)}.`,
      settings: [MODELS.deepStandard, MODELS.deepPgdAt, MODELS.deepStandardB].map((n) => describeRun(n, seeds[0]!.trained[n], input.config)).join('. '),
      numbers: {
        'std × AT, first half': mean(parts.map((p) => p.xe)), 'std × AT, second half': mean(parts.map((p) => p.xl)),
        'std × std, first half': mean(parts.map((p) => p.ce)), 'std × std, second half': mean(parts.map((p) => p.cl)),
        'RBF CKA: D(late) − D(early) (mean)': Number.isFinite(rbf) ? rbf : 'not measured', ...perSeedNumbers('D(late) − D(early)', r.perSeed),
      },
    };
  },
  figures(input) {
    const x = input.seeds.map((s) => diagonal(crossOf('a2', s, CROSS.deep)));
    const c = input.seeds.map((s) => diagonal(crossOf('a2', s, CROSS.deepControl)));
    return [
      { caption: 'Cross-model linear CKA: standard (rows) × PGD-AT (columns), deep CNN, mean over seeds.', svg: heatmapSvg(meanMatrix(input.seeds.map((s) => crossOf('a2', s, CROSS.deep))), { title: 'standard × PGD-AT', rowLabel: 'standard', colLabel: 'PGD-AT' }) },
      { caption: 'Matching-layer CKA: standard × PGD-AT against the noise floor standard × standard (another seed).', svg: ckaChart('matching layers', [spread('std × PGD-AT', layersAxis(x[0]!), x), spread('std × std', layersAxis(c[0]!), c, true)]) },
    ];
  },
};

const benign = (id: string, s: SeedResults, model: string) => diagonal(need(id, s.seed, 'cka.benignAdv', s.cka.benignAdv, model));

export const a3: FindingDef = {
  id: 'a3',
  paper: PAPER_A,
  claim: 'Similarity between representations of benign and adversarial inputs collapses in the deep layers of standard networks but stays high in robust ones.',
  short: 'Benign vs adversarial CKA collapses late in std nets only',
  statistic: 'Mean CKA(layer on clean inputs, same layer on PGD inputs) over the second half of the deep CNN\'s layers: PGD-AT minus standard, per seed (each model attacked with its own PGD)',
  statisticShort: 'late CKA(x, x_adv): AT − std',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.1,
  deltaReason: 'The claim is a collapse, not a nuance: a tenth of the CKA scale is the smallest late-layer difference we would call one model\'s similarity collapsing while the other\'s stays high.',
  models: [MODELS.deepStandard, MODELS.deepPgdAt],
  judge(input) {
    const seeds = seedsOf('a3', input);
    const std = seeds.map((s) => halves(benign('a3', s, MODELS.deepStandard))[1]);
    const at = seeds.map((s) => halves(benign('a3', s, MODELS.deepPgdAt))[1]);
    const r = overSeeds(seeds, at.map((v, i) => v - std[i]!));
    return {
      ...r,
      control: null,
      ours: `Late-layer CKA between clean and PGD inputs: ${f3(mean(std))} for the standard deep CNN, ${f3(mean(at))} for PGD-AT; the difference is ${f3(r.estimate)} ${fmtCi(r.ci)}.`,
      settings: `${[MODELS.deepStandard, MODELS.deepPgdAt].map((n) => describeRun(n, seeds[0]!.trained[n], input.config)).join('. ')}. Inputs: PGD-${Math.min(5, input.config.sizes.evalSteps)} at ε = ${input.config.eps} against each model.`,
      numbers: { 'late layers, standard': mean(std), 'late layers, PGD-AT': mean(at), ...perSeedNumbers('AT − std', r.perSeed) },
    };
  },
  figures(input) {
    const rows = (n: string) => input.seeds.map((s) => benign('a3', s, n));
    const std = rows(MODELS.deepStandard);
    return [{ caption: 'CKA between each layer on clean inputs and on PGD examples against the same model (deep CNN).', svg: ckaChart('benign vs adversarial CKA per layer', [spread('standard', layersAxis(std[0]!), std), spread('PGD-AT', layersAxis(std[0]!), rows(MODELS.deepPgdAt))]) }];
  },
};

/** a4 and c3 read the same run: the robust-overfitting PGD-AT run (its gap and its best-vs-last CKA). */
export const A4_RUN = MODELS.roPgdAt;

export const a4: FindingDef = {
  id: 'a4',
  paper: PAPER_A,
  claim: 'Robust overfitting mainly changes the deeper layers: CKA between the best and the last checkpoint of an adversarial training run drops with depth.',
  short: 'Robust overfitting changes deep layers most',
  statistic: `Mean CKA(best checkpoint, last checkpoint) on matching layers, first half of the layers minus second half, of the robust-overfitting run ${A4_RUN}, per seed; seeds whose best epoch was the last (nothing overfitted) are left out`,
  statisticShort: 'CKA(best, last): early − late',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.05,
  deltaReason: CKA_DELTA,
  models: [A4_RUN],
  judge(input) {
    const seeds = seedsOf('a4', input);
    const rows = seeds.map((s) => {
      const run = need('a4', s.seed, 'robustOverfitting', s.robustOverfitting, A4_RUN);
      const bl = need('a4', s.seed, 'cka.bestLast', s.cka.bestLast, A4_RUN);
      const gap = mean(run.gap.best.map(num)) - mean(run.gap.last.map(num));
      if (!bl) return { effect: NaN, early: NaN, late: NaN, gap, best: run.bestEpoch };
      const [early, late] = halves(diagonal(bl));
      return { effect: early - late, early, late, gap, best: run.bestEpoch };
    });
    const r = overSeeds(seeds, rows.map((x) => x.effect));
    const used = rows.filter((x) => Number.isFinite(x.effect)).length;
    return {
      ...r,
      control: null,
      ours: `In ${used} of ${seeds.length} seeds the best epoch of ${A4_RUN} came before the last. There, CKA(best, last) is ${f3(mean(rows.map((x) => x.early)))} in the first half of the layers and ${f3(mean(rows.map((x) => x.late)))} in the second; the drop is ${f3(r.estimate)} ${fmtCi(r.ci)}. The same run's robust-overfitting gap (best − last, c3) is ${pct(mean(rows.map((x) => x.gap)))}.`,
      settings: describeRun(A4_RUN, seeds[0]!.trained[A4_RUN], input.config),
      numbers: {
        'seeds with an earlier best epoch': used, 'first half': mean(rows.map((x) => x.early)), 'second half': mean(rows.map((x) => x.late)),
        'robust-overfitting gap of the same run': mean(rows.map((x) => x.gap)), ...perSeedNumbers('early − late', r.perSeed),
        ...Object.fromEntries(rows.map((x, i) => [`best epoch, seed ${seeds[i]!.seed}`, x.best])),
      },
    };
  },
  figures(input) {
    const d = input.seeds.map((s) => s.cka.bestLast[A4_RUN]).filter((m): m is CkaMatrix => !!m).map(diagonal);
    return d.length ? [{ caption: `CKA between the best and the last checkpoint of ${A4_RUN}, per layer (seeds with an earlier best epoch).`, svg: ckaChart('best vs last checkpoint', [spread('best vs last', layersAxis(d[0]!), d)]) }] : [];
  },
};

export const SIMILARITY_FINDINGS: readonly FindingDef[] = [a1, a2, a3, a4];
