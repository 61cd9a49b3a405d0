import { collectLogitStats, compareConfidence, summarize, type LogitStatsTable } from '../analysis/logits.js';
import { teacherLogits, MANIPULATIONS, type Manipulation } from '../analysis/distill.js';
import { accuracyUnderTransforms, activationTV, filterSpectrum, filterTotalVariation, preferredInputs } from '../analysis/simplicity.js';
import { tidy } from '../engine.js';
import type { Module } from '../nn/module.js';
import { SGD } from '../optim/sgd.js';
import { robustEvaluate } from '../robust/evaluate.js';
import type { Tensor } from '../tensor.js';
import { distill } from '../train/distill.js';
import { runPass } from '../train/pass.js';
import { standardStep } from '../train/standard.js';
import type { StudyConfig } from './config.js';
import { ownedBatches } from '../data/owned-batches.js';
import type { StudyData } from './data.js';
import { build } from './models.js';
import { inputTypeDiversity, type InputTypeDiversity } from '../analysis/input-types.js';
import { Flatten, ReLU, Sequential } from '../nn/layers.js';
import { GlobalAvgPool2d } from '../nn/conv.js';

export interface EvalResult {
  clean: number;
  pgd: number;
  cw: number;
  n: number;
  steps: number;
}

/** Clean accuracy and robust accuracy under PGD-K (CE) and PGD-K (CW), random start (methods.md §2.3). */
export async function evaluateModel(model: Module, data: StudyData, cfg: StudyConfig, seed: number, withCw = true): Promise<EvalResult> {
  const set = data.test.take(cfg.sizes.evalSize);
  const steps = cfg.sizes.evalSteps;
  const attack = (loss: 'ce' | 'cw') => ({ type: 'pgd' as const, eps: cfg.eps, steps, alpha: 2.5 * cfg.eps / steps, loss, seed: seed + 101 });
  const ce = await robustEvaluate(model, ownedBatches(set, 250), attack('ce'));
  const cw = withCw ? (await robustEvaluate(model, ownedBatches(set, 250), attack('cw'))).robustAccuracy : NaN;
  return { clean: ce.cleanAccuracy, pgd: ce.robustAccuracy, cw, n: ce.n, steps };
}

const plain = (t: LogitStatsTable) => ({
  maxLogit: Array.from(t.maxLogit), gap: Array.from(t.gap), maxMinusMean: Array.from(t.maxMinusMean),
  confidence: Array.from(t.confidence), correct: t.correct ? Array.from(t.correct) : [],
});

export interface LogitResult {
  models: Record<string, { summary: ReturnType<typeof summarize>; values: ReturnType<typeof plain> }>;
  /** Standard vs PGD-AT per-example confidence comparison, with the indices of the extremes. */
  comparison: { spearman: number; topOverlap: number; bottomOverlap: number; k: number; atOverStd: number[]; stdOverAt: number[] };
  /** The images of those extremes for the report: h×w, channels averaged. */
  images: { index: number; pixels: number[]; h: number; w: number }[];
}

export async function logitStudy(models: Record<string, Module>, data: StudyData, cfg: StudyConfig): Promise<LogitResult> {
  const set = data.test.take(cfg.sizes.probeSize);
  const tables: Record<string, LogitStatsTable> = {};
  for (const [name, m] of Object.entries(models)) tables[name] = await collectLogitStats(m, ownedBatches(set, 250));
  const std = tables['cnn-standard']!;
  const at = tables['cnn-pgd-at']!;
  const cmp = compareConfidence(at.confidence, std.confidence, { show: 6 });
  const per = set.exampleSize;
  const px = (i: number) => grey(set.images.subarray(i * per, (i + 1) * per), set.shape);
  const indices = [...cmp.aOverB.map((e) => e.index), ...cmp.bOverA.map((e) => e.index)];
  return {
    models: Object.fromEntries(Object.entries(tables).map(([n, t]) => [n, { summary: summarize(t), values: plain(t) }])),
    comparison: {
      spearman: cmp.spearman, topOverlap: cmp.topOverlap, bottomOverlap: cmp.bottomOverlap, k: cmp.k,
      atOverStd: cmp.aOverB.map((e) => e.index), stdOverAt: cmp.bOverA.map((e) => e.index),
    },
    images: indices.map((index) => ({ index, pixels: px(index), h: set.shape[1], w: set.shape[2] })),
  };
}

export interface SimplicityResult {
  models: Record<string, {
    filterTV: number[]; // per first-layer filter, TV / ‖w‖₂
    filterHF: number[]; // high-frequency energy share per filter
    filters: number[][]; // first-layer kernels (9 values each) for the report
    activation: { layer: string; meanClean: number; meanNoisy: number; normClean: number; outliers: number; channels: number }[];
    /** Preferred inputs, h×w with channels averaged, for the report. */
    preferred: { tv: number[]; hf: number[]; images: number[][]; h: number; w: number };
    probes: Record<string, number>;
    /** b3's "fewer input types" proxy (methods.md §5.2.4) at the last convolutional ReLU. */
    diversity?: Omit<InputTypeDiversity, 'top'>;
  }>;
}

/**
 * The last ReLU before the classifier head (the Flatten or global pooling): the deepest convolutional
 * channels, whose preferred inputs b3 compares. Null for a model that is not a Sequential of that shape.
 */
function lastConvRelu(model: Module): string | null {
  if (!(model instanceof Sequential)) return null;
  let last: string | null = null;
  for (const [name, m] of model.children()) {
    if (m instanceof Flatten || m instanceof GlobalAvgPool2d) return last;
    if (m instanceof ReLU) last = name;
  }
  return null;
}

/** An image [C, H, W] as H×W values, the channels averaged (the report draws grey images). */
function grey(values: ArrayLike<number>, [c, h, w]: readonly [number, number, number]): number[] {
  const out = new Array<number>(h * w).fill(0);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i]! += values[k * h * w + i]! / c;
  return out;
}

async function readFilters(w: Tensor): Promise<number[][]> {
  const v = Array.from(await w.data());
  const per = w.size / w.shape[0]!;
  return Array.from({ length: w.shape[0]! }, (_, i) => v.slice(i * per, (i + 1) * per));
}

export async function simplicityStudy(models: Record<string, Module>, data: StudyData, cfg: StudyConfig, seed: number): Promise<SimplicityResult> {
  const out: SimplicityResult = { models: {} };
  const set = data.test.take(cfg.sizes.probeSize);
  for (const [name, model] of Object.entries(models)) {
    const w = model.namedParameters().find(([n, t]) => n.endsWith('weight') && t.rank === 4)![1];
    const tvT = tidy(() => filterTotalVariation(w));
    const spec = filterSpectrum(w, { size: 16 });
    const filterTV = Array.from(await tvT.data());
    const filterHF = Array.from(await spec.hf.data());
    tvT.dispose();
    spec.hf.dispose();
    spec.power.dispose();
    const probeBatch = set.take(Math.min(256, set.length)).batches(256).next().value!;
    let activation: SimplicityResult['models'][string]['activation'] = [];
    try {
      const layers = await activationTV(model, probeBatch.x, { noiseStd: 0.1, seed });
      activation = layers.map((l) => ({
        layer: l.name, meanClean: l.meanClean, meanNoisy: l.tvNoisy.reduce((a, b) => a + b, 0) / l.tvNoisy.length,
        normClean: l.tvNormClean.reduce((a, b) => a + b, 0) / l.tvNormClean.length,
        outliers: l.outlier.filter(Boolean).length, channels: l.outlier.length,
      }));
    } finally {
      probeBatch.x.dispose();
    }
    const firstConv = model.namedParameters().find(([, t]) => t.rank === 4)![0].replace(/\.weight$/, '');
    const pref = await preferredInputs(model, firstConv, set.shape, { channels: [0, 1, 2, 3, 4, 5, 6, 7], steps: cfg.quick ? 16 : 48, seed });
    const imgs = Array.from(await pref.images.data());
    pref.images.dispose();
    const probes = await accuracyUnderTransforms(model, ownedBatches(set, 250), undefined, { seed });
    const layer = lastConvRelu(model);
    const div = layer ? await inputTypeDiversity(model, layer, ownedBatches(set, 250), { k: Math.min(49, set.length) }) : null;
    out.models[name] = {
      filterTV, filterHF, filters: await readFilters(w), activation,
      preferred: { tv: pref.tv, hf: pref.hf, images: Array.from({ length: 8 }, (_, i) => grey(imgs.slice(i * set.exampleSize, (i + 1) * set.exampleSize), set.shape)), h: set.shape[1], w: set.shape[2] },
      probes: Object.fromEntries(Object.entries(probes).map(([k, v]) => [k, v.accuracy])),
      ...(div ? { diversity: { layer: div.layer, k: div.k, labelEntropy: div.labelEntropy, classesFor90: div.classesFor90, meanPairwiseL2: div.meanPairwiseL2 } } : {}),
    };
  }
  return out;
}

export interface DistillRow {
  teacher: string;
  manipulation: Manipulation | 'teacher itself';
  clean: number;
  pgd: number;
}

/**
 * Students trained on clean data against (manipulated) teacher logits, then attacked (methods.md §4),
 * and d3's control: the same student trained on the hard labels alone (same optimiser, epochs, batches),
 * recorded with the teacher name `hardLabels`.
 */
export async function distillStudy(teachers: Record<string, Module>, hardLabels: string, data: StudyData, cfg: StudyConfig, seed: number, log: (m: string) => void): Promise<DistillRow[]> {
  const rows: DistillRow[] = [];
  const variants: [string, Manipulation][] = [[hardLabels, 'none'], ['cnn-standard', 'none'], ...MANIPULATIONS.map((m) => ['cnn-pgd-at', m] as [string, Manipulation])];
  for (const [tname, kind] of variants) {
    const student = build({ arch: 'cnn-small' }, cfg, seed + 7);
    // T²-scaled distillation gradients are large: lr 0.05 sent some students to a constant output.
    const opt = new SGD(student.parameters(), { lr: 0.01, momentum: 0.9 });
    try {
      for (let e = 0; e < cfg.sizes.distillEpochs; e++) {
        const batches = ownedBatches(data.train, cfg.sizes.batchSize, seed * 31 + e);
        if (tname === hardLabels) await runPass(student, batches, standardStep({ op: 'study (hard-label student)' }), { name: 'hard-label student', optimizer: opt, quiet: true });
        else await distill(student, teacherLogits(teachers[tname]!, kind, { seed: seed + e }), opt, batches, { temperature: 4 });
      }
      const r = await evaluateModel(student, data, cfg, seed, false);
      rows.push({ teacher: tname, manipulation: kind, clean: r.clean, pgd: r.pgd });
      log(`  student of ${tname} (${kind}): clean ${(100 * r.clean).toFixed(1)}%, PGD ${(100 * r.pgd).toFixed(1)}%`);
    } finally {
      opt.dispose();
      student.dispose();
    }
  }
  return rows;
}
