import type { CkaMatrix } from '../analysis/index.js';
import type { Finding, ReportSection } from '../report/html.js';
import { heatmapSvg } from '../report/heatmap.js';
import { barChart, histogram, imageGrid, lineChart } from '../report/svg.js';
import type { EvalResult, DistillRow, LogitResult, SimplicityResult } from './experiments.js';
import type { TrainedSummary } from './models.js';
import { diagonal, longRange } from './similarity.js';

/** Everything one seed of the study measured (saved as results.json). */
export interface SeedResults {
  seed: number;
  trained: Record<string, TrainedSummary>;
  eval: Record<string, EvalResult>;
  cka: {
    within: Record<string, CkaMatrix>;
    cross: Record<string, CkaMatrix>;
    benignAdv: Record<string, CkaMatrix>;
    bestLast: Record<string, CkaMatrix | null>;
  };
  logits: LogitResult;
  simplicity: SimplicityResult;
  distill: DistillRow[];
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`);
const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const mean = (v: readonly number[]): number => v.filter(Number.isFinite).reduce((a, b) => a + b, 0) / Math.max(1, v.filter(Number.isFinite).length);
const halves = (v: readonly number[]): [number, number] => [mean(v.slice(0, Math.ceil(v.length / 2))), mean(v.slice(Math.ceil(v.length / 2)))];
const verdict = (ok: boolean | null): Finding['verdict'] => (ok === null ? 'inconclusive' : ok ? 'reproduced' : 'not reproduced');

const pcModels = ['deep-standard', 'deep-pgd-at', 'cnn-standard', 'cnn-pgd-at'];

/**
 * Variance share of each layer's first principal component (methods.md §5.1; Nguyen et al. tie block
 * structure to a dominant component): none for results saved before it was measured.
 */
function firstPcFigure(w: SeedResults['cka']['within']): { caption: string; svg: string }[] {
  const series = pcModels
    .filter((n) => w[n]?.firstPcRows)
    .map((n, i) => ({ name: n, x: w[n]!.firstPcRows!.map((_, k) => k), y: w[n]!.firstPcRows!, dashed: i >= 2 }));
  if (series.length === 0) return [];
  return [{
    caption: 'Share of each layer\'s variance along its first principal component (mean over the CKA batches): block structure goes with one dominant component.',
    svg: lineChart(series, { title: 'first-PC variance share', xlabel: 'layer index', ylabel: 'λ₁ / Σλ', yMin: 0, yMax: 1 }),
  }];
}

function similaritySection(r: SeedResults): ReportSection {
  const w = r.cka.within;
  const lrStd = longRange(w['deep-standard']!);
  const lrAt = longRange(w['deep-pgd-at']!);
  const lrStdS = longRange(w['cnn-standard']!);
  const lrAtS = longRange(w['cnn-pgd-at']!);
  const a1: Finding = {
    id: 'a1',
    claim: 'Robust networks show amplified cross-layer similarity, even at long range, so the block structure of standard networks fades.',
    ours: `Long-range CKA (mean over layer pairs at least L/2 apart) is ${f3(lrAt)} for the PGD-AT deep CNN vs ${f3(lrStd)} for the standard one (cnn-small: ${f3(lrAtS)} vs ${f3(lrStdS)}).`,
    verdict: verdict(lrAt > lrStd),
    numbers: {
      'LR deep PGD-AT': lrAt, 'LR deep standard': lrStd, 'LR cnn-small PGD-AT': lrAtS, 'LR cnn-small standard': lrStdS,
      ...Object.fromEntries(pcModels.filter((n) => w[n]?.firstPcRows).map((n) => [`mean first-PC share, ${n}`, mean(w[n]!.firstPcRows!)])),
    },
    figures: [
      { caption: 'Layer × layer minibatch CKA, deep CNN, standard training (clean test images).', svg: heatmapSvg(w['deep-standard']!, { title: 'deep CNN, standard' }) },
      { caption: 'The same for the PGD-AT deep CNN.', svg: heatmapSvg(w['deep-pgd-at']!, { title: 'deep CNN, PGD-AT' }) },
      ...firstPcFigure(w),
    ],
  };
  const cross = r.cka.cross['deep']!;
  const [early, late] = halves(diagonal(cross));
  const a2: Finding = {
    id: 'a2',
    claim: 'Standard and robust networks of the same architecture are similar in early layers and dissimilar in late layers.',
    ours: `Cross-model CKA (standard rows, PGD-AT columns), matching layers: mean ${f3(early)} over the first half of the layers, ${f3(late)} over the second half.`,
    verdict: verdict(early > late),
    numbers: { 'diagonal, first half': early, 'diagonal, second half': late, ...Object.fromEntries(diagonal(cross).map((v, i) => [`layer ${cross.rows[i]}`, v])) },
    figures: [{ caption: 'Cross-model CKA: standard (rows) vs PGD-AT (columns), deep CNN.', svg: heatmapSvg(cross, { title: 'standard × PGD-AT', rowLabel: 'standard', colLabel: 'PGD-AT' }) }],
  };
  const ba = r.cka.benignAdv;
  const dStd = diagonal(ba['deep-standard']!);
  const dAt = diagonal(ba['deep-pgd-at']!);
  const lateStd = halves(dStd)[1];
  const lateAt = halves(dAt)[1];
  const a3: Finding = {
    id: 'a3',
    claim: 'Similarity between representations of benign and adversarial inputs collapses in the deep layers of standard networks but stays high in robust ones.',
    ours: `Per-layer CKA(clean, PGD) in the second half of the deep CNN: ${f3(lateStd)} standard vs ${f3(lateAt)} PGD-AT.`,
    verdict: verdict(lateAt > lateStd),
    numbers: { 'late layers, standard': lateStd, 'late layers, PGD-AT': lateAt },
    figures: [{
      caption: 'CKA between each layer on clean inputs and on PGD examples against the same model.',
      svg: lineChart([
        { name: 'standard', x: dStd.map((_, i) => i), y: dStd },
        { name: 'PGD-AT', x: dAt.map((_, i) => i), y: dAt },
      ], { title: 'benign vs adversarial CKA per layer', xlabel: 'layer index', ylabel: 'CKA', yMin: 0, yMax: 1 }),
    }],
  };
  const bl = r.cka.bestLast['deep-pgd-at'] ?? r.cka.bestLast['cnn-pgd-at'] ?? null;
  const t = r.trained['deep-pgd-at']!;
  let a4: Finding;
  if (!bl) {
    a4 = {
      id: 'a4',
      claim: 'Robust overfitting mainly changes the deeper layers (CKA between the best and the last checkpoint drops with depth).',
      ours: `The best robust-accuracy checkpoint of the PGD-AT runs was their last epoch (robust-overfitting gap ${pct(t.robustOverfittingGap)}), so there is no overfitting to localise at this budget.`,
      verdict: 'inconclusive', numbers: { 'best epoch': t.bestEpoch ?? NaN, epochs: t.log.length }, figures: [],
    };
  } else {
    const d = diagonal(bl);
    const [e, l] = halves(d);
    a4 = {
      id: 'a4',
      claim: 'Robust overfitting mainly changes the deeper layers (CKA between the best and the last checkpoint drops with depth).',
      ours: `CKA(best, last) per layer: ${f3(e)} in the first half, ${f3(l)} in the second half (best epoch ${t.bestEpoch}, gap ${pct(t.robustOverfittingGap)}).`,
      verdict: (t.robustOverfittingGap ?? 0) <= 0 ? 'inconclusive' : verdict(e > l),
      numbers: { 'first half': e, 'second half': l, 'robust-overfitting gap': t.robustOverfittingGap ?? NaN },
      figures: [{ caption: 'CKA between the best and the last checkpoint, per layer.', svg: lineChart([{ name: 'best vs last', x: d.map((_, i) => i), y: d }], { title: 'best vs last checkpoint', xlabel: 'layer index', ylabel: 'CKA', yMin: 0, yMax: 1 }) }],
    };
  }
  return { paper: '(a) Cianfarani et al. 2022: representation similarity of robust and standard networks', findings: [a1, a2, a3, a4] };
}

function simplicitySection(r: SeedResults): ReportSection {
  const s = r.simplicity.models;
  const std = s['cnn-standard']!;
  const at = s['cnn-pgd-at']!;
  const probes = Object.keys(std.probes);
  // Shape reliance: accuracy kept on edge maps and blur relative to clean; texture reliance: on shuffled patches.
  const rel = (m: typeof std, k: string) => m.probes[k]! / Math.max(1e-9, m.probes['clean']!);
  const b1: Finding = {
    id: 'b1',
    claim: 'Robust networks rely more on shape and less on texture.',
    ours: `Accuracy kept (relative to clean) on edge maps: ${f3(rel(at, 'edges'))} PGD-AT vs ${f3(rel(std, 'edges'))} standard; on 4×4 patch-shuffled images: ${f3(rel(at, 'shuffle-4x4'))} vs ${f3(rel(std, 'shuffle-4x4'))}.`,
    verdict: verdict(rel(at, 'edges') > rel(std, 'edges') && rel(at, 'shuffle-4x4') <= rel(std, 'shuffle-4x4')),
    numbers: Object.fromEntries(probes.flatMap((k) => [[`${k}, standard`, std.probes[k]!], [`${k}, PGD-AT`, at.probes[k]!]])),
    figures: [{ caption: 'Test accuracy under shape/texture probes (cnn-small).', svg: barChart(probes, [{ name: 'standard', values: probes.map((k) => std.probes[k]!) }, { name: 'PGD-AT', values: probes.map((k) => at.probes[k]!) }], { title: 'accuracy under transforms', ylabel: 'accuracy', yMax: 1 }) }],
  };
  const tvStd = mean(std.filterTV);
  const tvAt = mean(at.filterTV);
  const hfStd = mean(std.filterHF);
  const hfAt = mean(at.filterHF);
  const gap = (m: typeof std) => mean(m.activation.map((a) => Math.abs(a.meanNoisy - a.meanClean) / Math.max(1e-12, a.meanClean)));
  const b2: Finding = {
    id: 'b2',
    claim: 'Robust networks detect smoother patterns and block high-frequency noise.',
    ours: `First-layer filter TV/‖w‖: ${f3(tvAt)} PGD-AT vs ${f3(tvStd)} standard; high-frequency energy share ${f3(hfAt)} vs ${f3(hfStd)}; relative change of activation TV under Gaussian noise ${f3(gap(at))} vs ${f3(gap(std))}.`,
    verdict: verdict(tvAt < tvStd && gap(at) < gap(std)),
    numbers: { 'filter TV, standard': tvStd, 'filter TV, PGD-AT': tvAt, 'filter HF, standard': hfStd, 'filter HF, PGD-AT': hfAt, 'noise TV change, standard': gap(std), 'noise TV change, PGD-AT': gap(at) },
    figures: [
      { caption: 'First-layer 3×3 filters, standard (blue negative, red positive).', svg: imageGrid(std.filters.slice(0, 16).map((d) => ({ data: d, h: 3, w: 3 })), { title: 'standard conv1', cols: 16, scale: 8, diverging: true }) },
      { caption: 'First-layer 3×3 filters, PGD-AT.', svg: imageGrid(at.filters.slice(0, 16).map((d) => ({ data: d, h: 3, w: 3 })), { title: 'PGD-AT conv1', cols: 16, scale: 8, diverging: true }) },
      { caption: 'Preferred inputs of 8 first-layer channels (activation maximisation), standard then PGD-AT.', svg: imageGrid([...std.preferred.images, ...at.preferred.images].map((d, i) => ({ data: d, h: std.preferred.h ?? 28, w: std.preferred.w ?? 28, caption: `${i < 8 ? 'std' : 'AT'} TV ${(i < 8 ? std : at).preferred.tv[i % 8]!.toFixed(0)}` })), { title: 'preferred inputs', cols: 8, scale: 2 }) },
    ],
  };
  return { paper: '(b) Chen et al. 2020: shape and simplicity biases of robust CNNs', findings: [b1, b2] };
}

function memorizationSection(r: SeedResults): ReportSection {
  const pa = r.trained['rl-pgd-at']!;
  const tr = r.trained['rl-trades']!;
  const lastAcc = (t: TrainedSummary) => t.log[t.log.length - 1]!.trainEvalRobustAcc ?? t.log[t.log.length - 1]!.trainRobustAcc ?? NaN;
  const lastClean = (t: TrainedSummary) => t.log[t.log.length - 1]!.trainEvalCleanAcc ?? t.log[t.log.length - 1]!.trainCleanAcc;
  const curve = (t: TrainedSummary, key: 'trainEvalRobustAcc' | 'gradSqNorm', name: string) => ({ name, x: t.log.map((l) => l.epoch), y: t.log.map((l) => (l[key] as number | null) ?? NaN) });
  const c1: Finding = {
    id: 'c1',
    claim: 'Networks can memorise adversarial examples of training data with completely random labels (PGD-AT converges).',
    ours: `PGD-AT (Adam, ε halved as methods.md §7 suggests) on ${pa.log.length} epochs of randomly labelled images reached ${pct(lastAcc(pa))} robust and ${pct(lastClean(pa))} clean training accuracy (chance 10%).`,
    verdict: verdict(lastAcc(pa) > 0.3),
    numbers: { 'PGD-AT robust train acc (random labels)': lastAcc(pa), 'PGD-AT clean train acc': lastClean(pa), epochs: pa.log.length },
    figures: [{ caption: 'Robust training accuracy against the random labels, per epoch.', svg: lineChart([curve(pa, 'trainEvalRobustAcc', 'PGD-AT'), curve(tr, 'trainEvalRobustAcc', 'TRADES')], { title: 'random labels: robust train accuracy', xlabel: 'epoch', ylabel: 'accuracy', yMin: 0, yMax: 1 }) }],
  };
  const c2: Finding = {
    id: 'c2',
    claim: 'Not all adversarial training algorithms converge on random labels: TRADES stays near chance (gradient instability).',
    ours: `TRADES reached ${pct(lastAcc(tr))} robust training accuracy on the same random labels, vs ${pct(lastAcc(pa))} for PGD-AT.`,
    verdict: verdict(lastAcc(tr) < 0.2 && lastAcc(pa) > lastAcc(tr) + 0.1),
    numbers: { 'TRADES robust train acc': lastAcc(tr), 'PGD-AT robust train acc': lastAcc(pa), 'TRADES mean Σ‖∂L/∂θ‖²': mean(tr.log.map((l) => l.gradSqNorm)), 'PGD-AT mean Σ‖∂L/∂θ‖²': mean(pa.log.map((l) => l.gradSqNorm)) },
    figures: [{ caption: 'Squared parameter-gradient norm per epoch (the gradient-instability signal).', svg: lineChart([curve(pa, 'gradSqNorm', 'PGD-AT'), curve(tr, 'gradSqNorm', 'TRADES')], { title: 'Σ‖∂L/∂θ‖² per epoch', xlabel: 'epoch', ylabel: 'squared norm' }) }],
  };
  const at = r.trained['cnn-pgd-at']!;
  const c3: Finding = {
    id: 'c3',
    claim: 'Robust overfitting: test robust accuracy peaks and then falls while training robust accuracy keeps rising.',
    ours: `cnn-small PGD-AT: best test robust accuracy at epoch ${at.bestEpoch} of ${at.log.length}; robust-overfitting gap (best − last) ${pct(at.robustOverfittingGap)}; generalization gap ${pct(at.generalizationGap)}.`,
    verdict: (at.robustOverfittingGap ?? 0) > 0.01 ? 'reproduced' : 'inconclusive',
    numbers: { 'best epoch': at.bestEpoch ?? NaN, 'robust-overfitting gap': at.robustOverfittingGap ?? NaN },
    figures: [{ caption: 'cnn-small PGD-AT: train vs test robust accuracy per epoch.', svg: lineChart([
      { name: 'train (running)', x: at.log.map((l) => l.epoch), y: at.log.map((l) => l.trainRobustAcc ?? NaN) },
      { name: 'test PGD-10', x: at.log.map((l) => l.epoch), y: at.log.map((l) => l.testRobustAcc ?? NaN) },
    ], { title: 'robust accuracy per epoch', xlabel: 'epoch', ylabel: 'accuracy', yMin: 0, yMax: 1 }) }],
  };
  return { paper: '(c) Dong et al. 2022: memorization in adversarial training', findings: [c1, c2, c3] };
}

function logitSection(r: SeedResults): ReportSection {
  const m = r.logits.models;
  const mx = (k: string) => m[k]!.summary.maxLogit!.all.mean;
  const gp = (k: string) => m[k]!.summary.gap!.all.mean;
  const d1: Finding = {
    id: 'd1',
    claim: 'Adversarially trained networks have smaller max logits and logit gaps on average.',
    ours: `Mean max logit ${f3(mx('cnn-pgd-at'))} (PGD-AT) and ${f3(mx('cnn-trades'))} (TRADES) vs ${f3(mx('cnn-standard'))} (standard); mean logit gap ${f3(gp('cnn-pgd-at'))} / ${f3(gp('cnn-trades'))} vs ${f3(gp('cnn-standard'))}.`,
    verdict: verdict(mx('cnn-pgd-at') < mx('cnn-standard') && gp('cnn-pgd-at') < gp('cnn-standard')),
    numbers: Object.fromEntries(Object.keys(m).flatMap((k) => [[`${k} mean max logit`, mx(k)], [`${k} mean logit gap`, gp(k)]])),
    figures: [
      { caption: 'Max logit per test image.', svg: histogram(Object.entries(m).map(([k, v]) => ({ name: k, values: v.values.maxLogit })), { title: 'max logit', xlabel: 'max logit' }) },
      { caption: 'Logit gap (top-1 minus top-2) per test image.', svg: histogram(Object.entries(m).map(([k, v]) => ({ name: k, values: v.values.gap })), { title: 'logit gap', xlabel: 'gap' }) },
    ],
  };
  const c = r.logits.comparison;
  const imgs = r.logits.images;
  const d2: Finding = {
    id: 'd2',
    claim: 'Adversarially trained and standard networks differ in which samples they are confident about.',
    ours: `Spearman correlation of per-example confidence, PGD-AT vs standard: ${f3(c.spearman)}; overlap of the ${c.k} most confident: ${pct(c.topOverlap)}, of the ${c.k} least confident: ${pct(c.bottomOverlap)}.`,
    verdict: verdict(c.spearman < 0.9),
    numbers: { spearman: c.spearman, 'top-k overlap': c.topOverlap, 'bottom-k overlap': c.bottomOverlap, k: c.k },
    figures: [{ caption: 'Left: images the PGD-AT model ranks far more confident than the standard one; right: the reverse.', svg: imageGrid(imgs.map((im, i) => ({ data: im.pixels, h: im.h ?? 28, w: im.w ?? 28, caption: `${i < c.atOverStd.length ? 'AT>std' : 'std>AT'} #${im.index}` })), { title: 'most-differing examples', cols: c.atOverStd.length, scale: 2 }) }],
  };
  const rows = r.distill;
  const asIs = rows.find((x) => x.teacher === 'cnn-pgd-at' && x.manipulation === 'none');
  const stdStudent = rows.find((x) => x.teacher === 'cnn-standard');
  const manip = rows.filter((x) => x.teacher === 'cnn-pgd-at' && x.manipulation !== 'none');
  const d3: Finding = {
    id: 'd3',
    claim: 'A student distilled on clean data from an adversarially trained teacher gains some robustness; shuffling or removing the non-max logit information reduces it.',
    ours: `Student PGD accuracy: ${pct(asIs?.pgd)} from the PGD-AT teacher, ${pct(stdStudent?.pgd)} from the standard teacher; with manipulated AT logits: ${manip.map((x) => `${x.manipulation} ${pct(x.pgd)}`).join(', ')}.`,
    verdict: !asIs || !stdStudent ? 'inconclusive' : verdict(asIs.pgd > stdStudent.pgd + 0.02 && manip.some((x) => x.pgd < asIs.pgd - 0.02)),
    numbers: Object.fromEntries(rows.flatMap((x) => [[`${x.teacher}/${x.manipulation} clean`, x.clean], [`${x.teacher}/${x.manipulation} PGD`, x.pgd]])),
    figures: [{ caption: 'Distilled students: clean and PGD accuracy by teacher logits.', svg: barChart(rows.map((x) => `${x.teacher === 'cnn-standard' ? 'std' : 'AT'}:${x.manipulation}`), [{ name: 'clean', values: rows.map((x) => x.clean) }, { name: 'PGD', values: rows.map((x) => x.pgd) }], { title: 'distillation', ylabel: 'accuracy', yMax: 1, width: 560 }) }],
  };
  return { paper: '(d) Seguin et al. 2021: logit distributions of adversarially trained networks', findings: [d1, d2, d3] };
}

/** The models' accuracies as the report's first table. */
export function accuracyTable(r: SeedResults): Finding {
  const names = Object.keys(r.eval);
  return {
    id: 'models',
    claim: 'Standard training gives high clean but near-zero robust accuracy; adversarial training trades clean accuracy for robustness (methods.md §2.4).',
    ours: names.map((n) => `${n}: clean ${pct(r.eval[n]!.clean)}, PGD-${r.eval[n]!.steps} ${pct(r.eval[n]!.pgd)}, CW ${pct(r.eval[n]!.cw)}`).join('; ') + '.',
    verdict: verdict((r.eval['cnn-pgd-at']?.pgd ?? 0) > (r.eval['cnn-standard']?.pgd ?? 0) + 0.1),
    numbers: Object.fromEntries(names.flatMap((n) => [[`${n} clean`, r.eval[n]!.clean], [`${n} PGD`, r.eval[n]!.pgd], [`${n} CW`, r.eval[n]!.cw], [`${n} train seconds`, r.trained[n]?.seconds ?? NaN]])),
    figures: [{ caption: 'Clean and robust test accuracy of the trained models.', svg: barChart(names, [{ name: 'clean', values: names.map((n) => r.eval[n]!.clean) }, { name: 'PGD', values: names.map((n) => r.eval[n]!.pgd) }, { name: 'CW', values: names.map((n) => r.eval[n]!.cw) }], { title: 'accuracy', ylabel: 'accuracy', yMax: 1, width: 560 }) }],
  };
}

export function sections(r: SeedResults): ReportSection[] {
  return [
    { paper: 'The models', findings: [accuracyTable(r)] },
    similaritySection(r),
    simplicitySection(r),
    memorizationSection(r),
    logitSection(r),
  ];
}
