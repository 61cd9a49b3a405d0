/**
 * Paper (d), Seguin et al. 2021: logit distributions of adversarially trained networks (methods.md
 * §4, §6 d1–d3). d1 is a trend over an ε ladder (per-seed slopes, t over seeds); d2 compares rankings
 * of the same test images (bootstrap over seeds × examples); d3 compares distilled students (t over
 * seeds: each seed trains its own teacher and students).
 */
import { barChart, histogram, imageGrid, spreadChart } from '../../report/svg.js';
import { EPS_LADDER, HARD_LABELS, MODELS, type SeedResults, type StudyInput } from '../results.js';
import { mean, RankOrder, slope, spearman, spearmanOfDraw } from '../stats.js';
import { describeRun, f3, fmtCi, num, pct, perSeedNumbers, pts, spread, SPREAD_NOTE } from './present.js';
import { bootstrapSeeds, INTERVAL, MissingResultError, need, overSeeds, seedsOf, StudyResultError, UNIT, type FindingDef } from './verdict.js';

export const PAPER_D = '(d) Seguin et al. 2021: logit distributions of adversarially trained networks';

const logitsOf = (id: string, s: SeedResults, model: string) => need(id, s.seed, 'logits.models', s.logits.models, model);
const meanOf = (id: string, s: SeedResults, model: string, stat: 'gap' | 'maxLogit') => mean(logitsOf(id, s, model).values[stat].map(num));

/** −slope / value at ε = 0: the share of the standard model's mean that the linear trend loses by the study's ε. */
function relativeTrend(values: readonly number[]): number {
  return -slope(EPS_LADDER.map((r) => r.fraction), [...values]) / values[0]!;
}

export const d1: FindingDef = {
  id: 'd1',
  paper: PAPER_D,
  claim: 'Adversarial training shrinks the mean max logit and the mean logit gap, more with a larger ε.',
  short: 'AT shrinks logit gaps, more with larger ε',
  statistic: 'Per seed, the least-squares slope of the mean logit gap (top-1 − top-2, on the test images) of cnn-small models trained at ε × (0, ¼, ½, 1), over ε as a fraction of the study\'s ε, negated and divided by the mean gap at ε = 0: the share of the standard model\'s gap the trend loses by the study\'s ε. The same for the max logit is reported beside it',
  statisticShort: '−slope(gap vs ε) / gap(ε=0)',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.1,
  deltaReason: 'A trend that loses less than 10% of the standard model\'s mean logit gap between ε = 0 and the study\'s ε is not the clear shrinkage the claim describes. The gap is used, not the max logit, because softmax ignores a shift of all logits and the gap does too.',
  models: EPS_LADDER.map((r) => r.model),
  judge(input) {
    const seeds = seedsOf('d1', input);
    const gaps = seeds.map((s) => EPS_LADDER.map((r) => meanOf('d1', s, r.model, 'gap')));
    const maxes = seeds.map((s) => EPS_LADDER.map((r) => meanOf('d1', s, r.model, 'maxLogit')));
    const r = overSeeds(seeds, gaps.map(relativeTrend));
    const mx = overSeeds(seeds, maxes.map(relativeTrend));
    const rung = (rows: number[][], k: number) => mean(rows.map((row) => row[k]!));
    const eps = EPS_LADDER.map((x) => x.fraction * input.config.eps);
    return {
      ...r,
      control: null,
      ours: `Mean logit gap at ε = ${eps.map((e) => String(Number(e.toPrecision(3)))).join(', ')}: ${EPS_LADDER.map((_, k) => f3(rung(gaps, k))).join(', ')}; mean max logit: ${EPS_LADDER.map((_, k) => f3(rung(maxes, k))).join(', ')}. ` +
        `The gap's trend loses ${f3(r.estimate)} ${fmtCi(r.ci)} of its ε = 0 value by ε = ${input.config.eps} (the max logit's: ${f3(mx.estimate)} ${fmtCi(mx.ci)}).`,
      settings: EPS_LADDER.map((x) => describeRun(x.model, seeds[0]!.trained[x.model], input.config)).join('. '),
      numbers: {
        ...Object.fromEntries(EPS_LADDER.flatMap((x, k) => [[`mean gap, ${x.model} (ε = ${Number(eps[k]!.toPrecision(3))})`, rung(gaps, k)], [`mean max logit, ${x.model}`, rung(maxes, k)]])),
        'max-logit trend (same statistic)': mx.estimate, ...perSeedNumbers('gap trend', r.perSeed),
      },
    };
  },
  figures(input) {
    const eps = EPS_LADDER.map((x) => x.fraction * input.config.eps);
    const rows = (stat: 'gap' | 'maxLogit') => input.seeds.map((s) => EPS_LADDER.map((r) => meanOf('d1', s, r.model, stat)));
    const s0 = input.seeds[0]!;
    return [
      { caption: 'Mean logit gap and mean max logit on the test images against the training ε (cnn-small).', svg: spreadChart([spread('mean logit gap', eps, rows('gap')), spread('mean max logit', eps, rows('maxLogit'), true)], { title: 'logits over the ε ladder', xlabel: 'training ε', ylabel: 'logit units', interval: SPREAD_NOTE }) },
      { caption: `Logit gap (top-1 minus top-2) per test image, seed ${s0.seed}.`, svg: histogram(EPS_LADDER.map((r) => ({ name: r.model, values: logitsOf('d1', s0, r.model).values.gap.map(num) })), { title: 'logit gap', xlabel: 'gap' }) },
    ];
  },
};

const confidence = (id: string, s: SeedResults, model: string) => logitsOf(id, s, model).values.confidence.map(num);

export const d2: FindingDef = {
  id: 'd2',
  paper: PAPER_D,
  claim: 'Adversarially trained and standard networks differ in which samples they are confident about.',
  short: 'AT and std disagree on which inputs are confident',
  statistic: 'Spearman ρ of per-image confidence between two standard cnn-small models of different seeds, minus ρ between the PGD-AT and the standard model, on the same test images, per seed',
  statisticShort: 'ρ(std, std′) − ρ(AT, std)',
  unit: UNIT.examples,
  interval: INTERVAL.bootstrap,
  delta: 0.1,
  deltaReason: 'The claim is that AT changes which inputs are confident, not that it perturbs the ranking slightly; a drop of 0.1 in rank correlation below what a second standard seed gives is the smallest we would call a different ranking.',
  models: [MODELS.cnnStandard, MODELS.cnnStandardB, MODELS.cnnPgdAt],
  judge(input) {
    const seeds = seedsOf('d2', input);
    const sets = seeds.map((s) => {
      const [std, stdB, at] = [MODELS.cnnStandard, MODELS.cnnStandardB, MODELS.cnnPgdAt].map((m) => confidence('d2', s, m));
      if (std!.length !== stdB!.length || std!.length !== at!.length) {
        throw new StudyResultError(`d2: seed ${s.seed} has confidences of ${std!.length}, ${stdB!.length} and ${at!.length} images for the three models; they must be the same images`);
      }
      return { std: std!, stdB: stdB!, at: at! };
    });
    const sizes = sets.map((x) => [x.std.length]);
    const ranked = sets.map((x) => ({ std: new RankOrder(x.std), stdB: new RankOrder(x.stdB), at: new RankOrder(x.at) }));
    const r = bootstrapSeeds('d2', seeds, sizes, (g, [idx]) => {
      const x = ranked[g]!;
      return spearmanOfDraw(x.std, x.stdB, idx!) - spearmanOfDraw(x.at, x.std, idx!);
    });
    const ctl = bootstrapSeeds('d2-control', seeds, sizes, (g, [idx]) => spearmanOfDraw(ranked[g]!.std, ranked[g]!.stdB, idx!));
    const rhoAt = mean(sets.map((x) => spearman(x.at, x.std)));
    const c = seeds[0]!.logits.comparison;
    return {
      ...r,
      control: { name: 'two standard seeds', description: 'Spearman ρ of per-image confidence between two standard cnn-small models of different seeds: the agreement "normal" training gives', estimate: ctl.estimate, ci: ctl.ci, interval: INTERVAL.bootstrap },
      ours: `Confidence rankings agree with ρ = ${f3(ctl.estimate)} ${fmtCi(ctl.ci)} between two standard seeds and ρ = ${f3(rhoAt)} between PGD-AT and standard; AT lowers the agreement by ${f3(r.estimate)} ${fmtCi(r.ci)}.`,
      settings: [MODELS.cnnStandard, MODELS.cnnStandardB, MODELS.cnnPgdAt].map((n) => describeRun(n, seeds[0]!.trained[n], input.config)).join('. ') + `; ${sets[0]!.std.length} test images per seed`,
      numbers: {
        'ρ(std, std′)': ctl.estimate, 'ρ(AT, std)': rhoAt, [`top-${c.k} overlap AT vs std, seed ${seeds[0]!.seed}`]: num(c.topOverlap),
        [`bottom-${c.k} overlap AT vs std, seed ${seeds[0]!.seed}`]: num(c.bottomOverlap), ...perSeedNumbers('ρ(std, std′) − ρ(AT, std)', r.perSeed),
      },
    };
  },
  figures(input) {
    const s = input.seeds[0]!;
    const c = s.logits.comparison;
    const imgs = s.logits.images;
    if (!imgs.length) return [];
    return [{ caption: `Seed ${s.seed}. Left: images the PGD-AT model ranks far more confident than the standard one; right: the reverse.`, svg: imageGrid(imgs.map((im, i) => ({ data: im.pixels.map(num), h: im.h ?? 28, w: im.w ?? 28, caption: `${i < c.atOverStd.length ? 'AT>std' : 'std>AT'} #${im.index}` })), { title: 'most-differing examples', cols: Math.max(1, c.atOverStd.length), scale: 2 }) }];
  },
};

const AT_TEACHER = MODELS.cnnPgdAt;

/** Robust accuracy of the student distilled from `teacher` with `manipulation`, or a clear error. */
function student(id: string, s: SeedResults, teacher: string, manipulation: string): number {
  const row = s.distill.find((x) => x.teacher === teacher && x.manipulation === manipulation);
  if (!row) {
    throw new MissingResultError(`${id} rests on the distilled student '${teacher}' / '${manipulation}', which the results of seed ${s.seed} do not have in distill ` +
      `(it has ${s.distill.map((x) => `${x.teacher}/${x.manipulation}`).join(', ') || 'no rows'}); run the study stages that produce it`);
  }
  return num(row.pgd);
}

const attackOf = (input: StudyInput) => input.seeds[0]!.distill.find((x) => x.attack)?.attack ?? `PGD-${input.config.sizes.evalSteps}`;
const distillSettings = (input: StudyInput) =>
  `${describeRun(AT_TEACHER, input.seeds[0]!.trained[AT_TEACHER], input.config)}; students: cnn-small, ${input.config.sizes.distillEpochs} epoch(s) on clean images, temperature 4; robust accuracy under ${attackOf(input)} at ε = ${input.config.eps}`;

export const d3: FindingDef = {
  id: 'd3',
  paper: PAPER_D,
  claim: 'A student distilled on clean data from an adversarially trained teacher gains some robustness.',
  short: 'Distilling an AT teacher transfers robustness',
  statistic: 'Robust accuracy of a cnn-small student distilled (clean inputs) from the PGD-AT teacher\'s logits, minus that of a student trained on the hard labels alone, per seed',
  statisticShort: 'robust acc: AT-distilled − hard labels',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.03,
  deltaReason: 'The claim is "some robustness": 3 points of robust accuracy is the smallest gain we would call robustness rather than evaluation noise on a few hundred attacked images.',
  models: [AT_TEACHER],
  judge(input) {
    const seeds = seedsOf('d3', input);
    const fromAt = seeds.map((s) => student('d3', s, AT_TEACHER, 'none'));
    const hard = seeds.map((s) => student('d3', s, HARD_LABELS, 'none'));
    const r = overSeeds(seeds, fromAt.map((v, i) => v - hard[i]!));
    const ctl = overSeeds(seeds, hard);
    const fromStd = seeds.every((s) => s.distill.some((x) => x.teacher === MODELS.cnnStandard)) ? mean(seeds.map((s) => student('d3', s, MODELS.cnnStandard, 'none'))) : NaN;
    return {
      ...r,
      control: { name: 'hard labels', description: `robust accuracy (${attackOf(input)}) of a student trained on the hard labels alone`, estimate: ctl.estimate, ci: ctl.ci, interval: INTERVAL.t },
      ours: `Student robust accuracy (${attackOf(input)}): ${pct(mean(fromAt))} distilled from the PGD-AT teacher, ${pct(mean(hard))} from hard labels alone${Number.isFinite(fromStd) ? `, ${pct(fromStd)} from the standard teacher` : ''}; the gain is ${pts(r.estimate)} ${fmtCi(r.ci, pct)}.`,
      settings: distillSettings(input),
      numbers: { 'student of PGD-AT teacher': mean(fromAt), 'student of hard labels': mean(hard), 'student of standard teacher': fromStd, ...perSeedNumbers('AT-distilled − hard labels', r.perSeed) },
    };
  },
  figures(input) {
    const rows = input.seeds[0]!.distill;
    return [{ caption: `Distilled students, seed ${input.seeds[0]!.seed}: clean and robust accuracy by teacher logits.`, svg: barChart(rows.map((x) => `${x.teacher === AT_TEACHER ? 'AT' : x.teacher === MODELS.cnnStandard ? 'std' : x.teacher}:${x.manipulation}`), [{ name: 'clean', values: rows.map((x) => num(x.clean)) }, { name: attackOf(input), values: rows.map((x) => num(x.pgd)) }], { title: 'distillation', ylabel: 'accuracy', yMax: 1, width: 560 }) }];
  },
};

/** The manipulations that destroy the non-max logit information (methods.md §4); swapConfidence keeps it, so it is not one of them. */
export const NON_MAX_MANIPULATIONS = ['shuffleNonMax', 'flattenNonMax'] as const;

export const d3nonmax: FindingDef = {
  id: 'd3-nonmax',
  paper: PAPER_D,
  claim: 'Shuffling or removing the non-max logit information of the adversarially trained teacher reduces the robustness its student gains.',
  short: 'Destroying non-max logits removes the transfer',
  statistic: `Robust accuracy of the student of the unmodified PGD-AT teacher minus the mean over the two non-max manipulations (${NON_MAX_MANIPULATIONS.join(', ')}) of their students' robust accuracy, per seed; both pre-registered, not the best of several`,
  statisticShort: 'robust acc: as is − non-max destroyed',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.02,
  deltaReason: 'Two points of robust accuracy is the smallest loss of transferred robustness we would attribute to the non-max logits; the transfer itself is judged in d3.',
  models: [AT_TEACHER],
  judge(input) {
    const seeds = seedsOf('d3-nonmax', input);
    const asIs = seeds.map((s) => student('d3-nonmax', s, AT_TEACHER, 'none'));
    const manipulated = seeds.map((s) => mean(NON_MAX_MANIPULATIONS.map((m) => student('d3-nonmax', s, AT_TEACHER, m))));
    const r = overSeeds(seeds, asIs.map((v, i) => v - manipulated[i]!));
    const each = (m: string) => mean(seeds.map((s) => student('d3-nonmax', s, AT_TEACHER, m)));
    return {
      ...r,
      control: null,
      ours: `Student robust accuracy from the PGD-AT teacher: ${pct(mean(asIs))} as is, ${NON_MAX_MANIPULATIONS.map((m) => `${pct(each(m))} with ${m}`).join(', ')}; the loss is ${pts(r.estimate)} ${fmtCi(r.ci, pct)}.`,
      settings: distillSettings(input),
      numbers: { 'as is': mean(asIs), ...Object.fromEntries(NON_MAX_MANIPULATIONS.map((m) => [m, each(m)])), ...perSeedNumbers('as is − non-max destroyed', r.perSeed) },
    };
  },
  figures: () => [],
};

export const LOGIT_FINDINGS: readonly FindingDef[] = [d1, d2, d3, d3nonmax];
