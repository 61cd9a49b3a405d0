/**
 * How much computing each stage of the study does, for the progress estimate (issue 17 §4): images ×
 * passes × model cost, in one unit, "one forward + backward pass of one image through cnn-small". A
 * forward pass counts 1/3 of that (the backward costs about twice the forward); a model's cost is its
 * multiply-adds per image relative to cnn-small's; CKA adds its Gram matrices (features × batch per
 * image and layer). The estimate needs only relative sizes: stages.ts calibrates the units to seconds
 * with the throughput measured on the stages done so far. Pure arithmetic on the config.
 */
import type { StudyConfig } from './config.js';
import type { ModelSpec } from './models.js';
import { studySpecs } from './specs.js';

const FWD = 1 / 3;

interface Layer {
  /** Multiply-adds of the layer per image. */
  macs: number;
  /** Features per image of the layer's output (what CKA's Gram matrices multiply). */
  features: number;
}

/** Input channels and side length of the data (datasets-node.ts DATASET_SHAPES, passed in: this file reads no data). */
export type InputShape = readonly [channels: number, size: number, ...rest: number[]];

/** The conv, ReLU/pool and linear outputs of a study architecture on the given inputs. */
function layers(arch: ModelSpec['arch'], cfg: StudyConfig, [c, s]: InputShape): Layer[] {
  const conv = (h: number, cin: number, cout: number): Layer => ({ macs: h * h * cin * cout * 9, features: h * h * cout });
  if (arch === 'cnn-small') {
    const h2 = Math.floor(s / 2);
    const h4 = Math.floor(h2 / 2);
    return [conv(s, c, 32), { macs: 0, features: h2 * h2 * 32 }, conv(h2, 32, 64), { macs: 0, features: h4 * h4 * 64 }, { macs: h4 * h4 * 64 * 128, features: 128 }, { macs: 1280, features: 10 }];
  }
  const widths = [32, 32, 64, 64, 128, 128, 128, 128].slice(0, cfg.sizes.deepDepth).map((w) => Math.max(1, Math.round(w * cfg.sizes.deepWidth)));
  const out: Layer[] = [];
  let h = s;
  let cin = c;
  widths.forEach((w, i) => {
    out.push(conv(h, cin, w));
    cin = w;
    if (i === 1 || i === 3) {
      h = Math.floor(h / 2);
      out.push({ macs: 0, features: h * h * w });
    }
  });
  out.push({ macs: 0, features: cin }, { macs: cin * 10, features: 10 });
  return out;
}

const macs = (arch: ModelSpec['arch'], cfg: StudyConfig, input: InputShape) => layers(arch, cfg, input).reduce((a, l) => a + l.macs, 0);

/** The cost of one forward + backward pass of one image through `arch`, relative to cnn-small. */
export function modelCost(arch: ModelSpec['arch'], cfg: StudyConfig, input: InputShape): number {
  return macs(arch, cfg, input) / macs('cnn-small', cfg, input);
}

/** Units of CKA's Gram matrices per image and model: Σ features × batch over the compared layers, in cnn-small passes. */
function gramCost(arch: ModelSpec['arch'], cfg: StudyConfig, input: InputShape): number {
  return (layers(arch, cfg, input).reduce((a, l) => a + l.features, 0) * cfg.sizes.ckaBatch) / (3 * macs('cnn-small', cfg, input));
}

/** Passes per image of an L∞ PGD-K evaluation: a clean forward, K steps, a forward at the result. */
const pgdPasses = (k: number) => k + 2 * FWD;

/** Passes per training image of a recipe's step. */
function stepPasses(spec: ModelSpec): number {
  const r = spec.recipe;
  if (r.kind === 'standard') return 1;
  if (r.kind === 'fast-fgsm') return 2;
  const te = r.te ? FWD : 0;
  // TRADES: K steps of the KL (each a forward and backward) after a clean forward, then clean and adversarial passes.
  return r.kind === 'trades' ? r.attack.steps + FWD + 2 + te : r.attack.steps + 1 + te;
}

function trainWork(spec: ModelSpec, cfg: StudyConfig, input: InputShape): number {
  const s = cfg.sizes;
  const overfit = spec.name.startsWith('ro-');
  const images = spec.labelNoise ? s.randomLabelSize : overfit ? s.roTrainSize : spec.arch === 'plain-cnn' ? s.deepTrainSize : s.trainSize;
  const evalImages = spec.labelNoise ? 0 : overfit ? s.roValSize : s.epochEvalSize;
  const k = Math.min(10, s.evalSteps);
  const perEpoch = images * stepPasses(spec) + evalImages * pgdPasses(k) + (spec.trainEval ? images * pgdPasses(k) : 0);
  return spec.epochs * perEpoch * modelCost(spec.arch, cfg, input);
}

/**
 * The work of every stage of one seed, by stage name (without the -s<seed> suffix), in the order the
 * study runs them (src/study/seed-run.ts). A stage the table lacks is an error in the caller's plan.
 */
export function seedWork(cfg: StudyConfig, input: InputShape): Record<string, number> {
  const s = cfg.sizes;
  const cnn = 1;
  const deep = modelCost('plain-cnn', cfg, input);
  const specs = studySpecs(cfg, 0);
  const out: Record<string, number> = {};
  for (const spec of specs) out[`train-${spec.name}`] = trainWork(spec, cfg, input);
  const evalOne = s.evalSize * pgdPasses(s.evalSteps);
  // Three cnn-small models with PGD and CW, four more cnn-small (control, ladder) and two deep models with PGD.
  out.eval = evalOne * (3 * 2 * cnn + 3 * cnn + 2 * deep) + evalOne * deep;
  // AutoAttack: APGD-CE on all images; on the robust share (about half for the robust models), APGD-T over 9
  // targets and Square's forward-only queries; the masking checks: APGD-CE at 4ε, doubled iterations, doubled restarts.
  const aaOne = (robust: number) => s.aaSize * (s.aaSteps * (1 + 5) + robust * (9 * s.aaSteps + s.aaQueries * FWD));
  out.autoattack = (2 * aaOne(0.05) + 3 * aaOne(0.5)) * ((3 * cnn + 2 * deep) / 5);
  const fwd = (cost: number) => s.ckaSize * (FWD * cost);
  const gram = (arch: ModelSpec['arch']) => s.ckaSize * gramCost(arch, cfg, input);
  // Within: 2 cnn + 3 deep; cross: 2 cnn and 2 deep pairs; benign-vs-adversarial: PGD-5 and two captures for 2 cnn + 2 deep; best vs last: one cnn pair.
  out.cka = 2 * (fwd(cnn) + gram('cnn-small')) + 3 * (fwd(deep) + gram('plain-cnn'))
    + 3 * 2 * (fwd(cnn) + gram('cnn-small')) + 2 * 2 * (fwd(deep) + gram('plain-cnn'))
    + 2 * (s.ckaSize * pgdPasses(Math.min(5, s.evalSteps)) + 2 * gram('cnn-small')) + 2 * (s.ckaSize * pgdPasses(Math.min(5, s.evalSteps)) * deep + 2 * gram('plain-cnn'));
  // RBF: two within and two cross matrices of the deep CNN (distances, medians and centring cost about 4 Gram products).
  out['rbf-cka'] = 6 * (fwd(deep) + 4 * gram('plain-cnn'));
  out.logits = 6 * s.probeSize * FWD;
  // Simplicity, per model: six probe transforms, the top-K diversity pass, activation TV, and 8 × steps of
  // activation maximisation. The transforms run on the host: measured, the stage costs about 2¼ times these passes.
  out.simplicity = 2.25 * 2 * (s.probeSize * 7 * FWD + 256 * 2 * FWD + 8 * (cfg.quick ? 16 : 48));
  // Six students: the hard-label one, the standard teacher's and four manipulations of the PGD-AT teacher's logits.
  out.distill = 6 * (s.distillEpochs * s.trainSize * (1 + FWD) + evalOne);
  out.overfit = 2 * 2 * s.roGapSize * pgdPasses(s.evalSteps);
  return out;
}

/** Every stage of every seed of cfg.seedList, by its stage name (`<stage>-s<seed>`), with its work. */
export function studyWork(cfg: StudyConfig, input: InputShape): Record<string, number> {
  const one = seedWork(cfg, input);
  return Object.fromEntries(cfg.seedList.flatMap((seed) => Object.entries(one).map(([k, v]) => [`${k}-s${seed}`, v])));
}
