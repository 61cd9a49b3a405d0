/**
 * Paper (b), Chen et al. 2020: shape and simplicity biases of robust CNNs (methods.md §5.2, §6 b1–b3),
 * measured on the standard and PGD-AT cnn-small. Per-seed summaries; the unit of replication is the
 * seed and the interval Student-t over seeds.
 */
import { barChart, imageGrid } from '../../report/svg.js';
import { MODELS, type SeedResults, type StudyInput } from '../results.js';
import { mean } from '../stats.js';
import { describeRun, f3, fmtCi, num, perSeedNumbers } from './present.js';
import { INTERVAL, MissingResultError, need, overSeeds, seedsOf, UNIT, type FindingDef } from './verdict.js';

export const PAPER_B = '(b) Chen et al. 2020: shape and simplicity biases of robust CNNs';

const STD = MODELS.cnnStandard;
const AT = MODELS.cnnPgdAt;
const modelOf = (id: string, s: SeedResults, name: string) => need(id, s.seed, 'simplicity.models', s.simplicity.models, name);
const settingsOf = (input: StudyInput) => [STD, AT].map((n) => describeRun(n, input.seeds[0]!.trained[n], input.config)).join('. ');

/** Accuracy on a probe relative to clean accuracy (NaN when the clean accuracy is 0 or missing). */
function kept(id: string, s: SeedResults, name: string, probe: string): number {
  const p = modelOf(id, s, name).probes;
  const clean = num(need(id, s.seed, `simplicity.models['${name}'].probes`, p, 'clean'));
  return clean > 0 ? num(need(id, s.seed, `simplicity.models['${name}'].probes`, p, probe)) / clean : NaN;
}

/** Shape reliance minus texture reliance: accuracy kept on edge maps minus accuracy kept on 4×4 patch-shuffled images. */
const shapeBias = (id: string, s: SeedResults, name: string) => kept(id, s, name, 'edges') - kept(id, s, name, 'shuffle-4x4');

export const b1: FindingDef = {
  id: 'b1',
  paper: PAPER_B,
  claim: 'Robust networks rely more on shape and less on texture.',
  short: 'Robust nets: more shape, less texture',
  statistic: 'Shape bias SB = (accuracy on edge maps − accuracy on 4×4 patch-shuffled images) / clean accuracy; the statistic is SB(PGD-AT) − SB(standard) of the cnn-small, per seed',
  statisticShort: 'SB(AT) − SB(std)',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.05,
  deltaReason: 'Five points of accuracy kept (relative to clean) is the smallest shift between shape and texture cues we would call a bias rather than a wobble of the probes.',
  models: [STD, AT],
  judge(input) {
    const seeds = seedsOf('b1', input);
    const std = seeds.map((s) => shapeBias('b1', s, STD));
    const at = seeds.map((s) => shapeBias('b1', s, AT));
    const r = overSeeds(seeds, at.map((v, i) => v - std[i]!));
    const keptMean = (name: string, probe: string) => mean(seeds.map((s) => kept('b1', s, name, probe)));
    return {
      ...r,
      control: null,
      ours: `Accuracy kept on edge maps: ${f3(keptMean(AT, 'edges'))} PGD-AT vs ${f3(keptMean(STD, 'edges'))} standard; on 4×4 patch-shuffled images: ${f3(keptMean(AT, 'shuffle-4x4'))} vs ${f3(keptMean(STD, 'shuffle-4x4'))}. SB(AT) − SB(std) = ${f3(r.estimate)} ${fmtCi(r.ci)}.`,
      settings: settingsOf(input),
      numbers: {
        'SB standard (mean)': mean(std), 'SB PGD-AT (mean)': mean(at), ...perSeedNumbers('SB(AT) − SB(std)', r.perSeed),
        ...Object.fromEntries(Object.keys(modelOf('b1', seeds[0]!, STD).probes).flatMap((k) => [STD, AT].map((n) => [`${k} accuracy, ${n} (mean)`, mean(seeds.map((s) => num(modelOf('b1', s, n).probes[k])))]))),
      },
    };
  },
  figures(input) {
    const probes = Object.keys(modelOf('b1', input.seeds[0]!, STD).probes);
    const values = (n: string) => probes.map((k) => mean(input.seeds.map((s) => num(modelOf('b1', s, n).probes[k]))));
    return [{ caption: 'Test accuracy under shape/texture probes (cnn-small), mean over seeds (per-seed values in the table above).', svg: barChart(probes, [{ name: 'standard', values: values(STD) }, { name: 'PGD-AT', values: values(AT) }], { title: 'accuracy under transforms', ylabel: 'accuracy', yMax: 1 }) }];
  },
};

const tv0 = (v: unknown): string => (Number.isFinite(num(v)) ? num(v).toFixed(0) : 'n/a');
const filterTV = (id: string, s: SeedResults, name: string) => mean(modelOf(id, s, name).filterTV.map(num));
/** Relative change of activation TV under Gaussian noise, averaged over layers (reported beside b2, not judged). */
const noiseChange = (s: SeedResults, name: string) =>
  mean((s.simplicity.models[name]?.activation ?? []).map((a) => Math.abs(num(a.meanNoisy) - num(a.meanClean)) / num(a.meanClean)));

export const b2: FindingDef = {
  id: 'b2',
  paper: PAPER_B,
  claim: 'Robust networks detect smoother patterns and block high-frequency noise.',
  short: 'Robust nets: smoother first-layer filters',
  statistic: '1 − mean TV(PGD-AT first-layer filters) / mean TV(standard first-layer filters), with TV the anisotropic total variation of a filter over its L2 norm (cnn-small), per seed: the fraction by which robust filters are smoother. The noise-blocking half of the claim is reported beside it, not judged',
  statisticShort: '1 − TV(AT)/TV(std)',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.1,
  deltaReason: 'Filters 10% smoother is the least we would call "smoother patterns"; smaller relative changes in the TV of 3×3 kernels are within what different initialisations give.',
  models: [STD, AT],
  judge(input) {
    const seeds = seedsOf('b2', input);
    const std = seeds.map((s) => filterTV('b2', s, STD));
    const at = seeds.map((s) => filterTV('b2', s, AT));
    const r = overSeeds(seeds, at.map((v, i) => 1 - v / std[i]!));
    const hf = (n: string) => mean(seeds.map((s) => mean(modelOf('b2', s, n).filterHF.map(num))));
    const noise = (n: string) => mean(seeds.map((s) => noiseChange(s, n)));
    return {
      ...r,
      control: null,
      ours: `First-layer filter TV/‖w‖: ${f3(mean(at))} PGD-AT vs ${f3(mean(std))} standard, so robust filters are ${f3(r.estimate)} ${fmtCi(r.ci)} smoother (relative). Reported beside it: high-frequency energy share ${f3(hf(AT))} vs ${f3(hf(STD))}; relative change of activation TV under Gaussian noise (σ = 0.1) ${f3(noise(AT))} vs ${f3(noise(STD))}.`,
      settings: settingsOf(input),
      numbers: {
        'filter TV, standard': mean(std), 'filter TV, PGD-AT': mean(at), 'filter HF share, standard': hf(STD), 'filter HF share, PGD-AT': hf(AT),
        'noise TV change, standard': noise(STD), 'noise TV change, PGD-AT': noise(AT), ...perSeedNumbers('1 − TV(AT)/TV(std)', r.perSeed),
      },
    };
  },
  figures(input) {
    const s = input.seeds[0]!;
    const std = modelOf('b2', s, STD);
    const at = modelOf('b2', s, AT);
    const grid = (m: typeof std, title: string) => imageGrid(m.filters.slice(0, 16).map((d) => ({ data: d.map(num), h: 3, w: 3 })), { title, cols: 16, scale: 8, diverging: true });
    return [
      { caption: `First-layer 3×3 filters of seed ${s.seed}, standard (blue negative, red positive).`, svg: grid(std, 'standard conv1') },
      { caption: `First-layer 3×3 filters of seed ${s.seed}, PGD-AT.`, svg: grid(at, 'PGD-AT conv1') },
      { caption: `Preferred inputs of 8 first-layer channels (activation maximisation), seed ${s.seed}, standard then PGD-AT.`, svg: imageGrid([...std.preferred.images, ...at.preferred.images].map((d, i) => ({ data: d.map(num), h: std.preferred.h ?? 28, w: std.preferred.w ?? 28, caption: `${i < 8 ? 'std' : 'AT'} TV ${tv0((i < 8 ? std : at).preferred.tv[i % 8])}` })), { title: 'preferred inputs', cols: 8, scale: 2 }) },
    ];
  },
};

function entropy(id: string, s: SeedResults, name: string) {
  const d = modelOf(id, s, name).diversity;
  if (!d) {
    throw new MissingResultError(`${id} rests on the top-K input diversity of '${name}', which the results of seed ${s.seed} do not have ` +
      `(simplicity.models['${name}'].diversity); run the study stages that produce it`);
  }
  return { h: mean(d.labelEntropy.map(num)), c90: mean(d.classesFor90.map(num)), l2: mean(d.meanPairwiseL2.map(num)), k: d.k, layer: d.layer };
}

export const b3: FindingDef = {
  id: 'b3',
  paper: PAPER_B,
  claim: 'Neurons of robust networks prefer lower-level features and fewer types of inputs.',
  short: 'Robust neurons: fewer input types',
  statistic: 'Per channel, the label entropy (nats) of the K test images that activate it most (methods.md §5.2.4 proxy), averaged over channels: standard minus PGD-AT (cnn-small), per seed',
  statisticShort: 'H(top-K labels): std − AT',
  unit: UNIT.seeds,
  interval: INTERVAL.t,
  delta: 0.1,
  deltaReason: 'A tenth of a nat, about 4% of the largest possible entropy over 10 classes (ln 10 = 2.30), is the smallest narrowing of a channel\'s preferred inputs we would call "fewer types".',
  models: [STD, AT],
  judge(input) {
    const seeds = seedsOf('b3', input);
    const std = seeds.map((s) => entropy('b3', s, STD));
    const at = seeds.map((s) => entropy('b3', s, AT));
    const r = overSeeds(seeds, std.map((v, i) => v.h - at[i]!.h));
    const m = (xs: typeof std, k: 'h' | 'c90' | 'l2') => mean(xs.map((x) => x[k]));
    return {
      ...r,
      control: null,
      ours: `Label entropy of each channel's top-${std[0]!.k} images (layer ${std[0]!.layer}): ${f3(m(std, 'h'))} standard vs ${f3(m(at, 'h'))} PGD-AT nats; classes covering 90% of them ${f3(m(std, 'c90'))} vs ${f3(m(at, 'c90'))}; mean pairwise L2 ${f3(m(std, 'l2'))} vs ${f3(m(at, 'l2'))}. The narrowing is ${f3(r.estimate)} ${fmtCi(r.ci)} nats.`,
      settings: settingsOf(input),
      numbers: {
        'label entropy, standard': m(std, 'h'), 'label entropy, PGD-AT': m(at, 'h'), 'classes for 90%, standard': m(std, 'c90'), 'classes for 90%, PGD-AT': m(at, 'c90'),
        'mean pairwise L2, standard': m(std, 'l2'), 'mean pairwise L2, PGD-AT': m(at, 'l2'), ...perSeedNumbers('H(std) − H(AT)', r.perSeed),
      },
    };
  },
  figures: () => [],
};

export const SIMPLICITY_FINDINGS: readonly FindingDef[] = [b1, b2, b3];
