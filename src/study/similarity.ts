import { captureFeatures, layerSimilarity, longRangeSimilarity, MinibatchCka, type CkaMatrix } from '../analysis/index.js';
import { Linear, ReLU, Sequential } from '../nn/layers.js';
import { GlobalAvgPool2d, MaxPool2d } from '../nn/conv.js';
import type { Module } from '../nn/module.js';
import { pgdTensors, resolvePgd } from '../robust/attacks.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import type { StudyConfig } from './config.js';
import type { StudyData } from './data.js';

/**
 * The layers compared: every ReLU, pooling and linear output of a Sequential (methods.md §5.1 hooks
 * every Conv/BN/ReLU/Pool/Linear; pre-activations are left out to keep the matrices readable).
 */
export function ckaLayers(model: Module): string[] {
  if (!(model instanceof Sequential)) return [];
  return model
    .children()
    .filter(([, m]) => m instanceof ReLU || m instanceof MaxPool2d || m instanceof GlobalAvgPool2d || m instanceof Linear)
    .map(([n]) => n);
}

/** Clean test batches for CKA (the same images, in the same order, for every model). */
export function* ckaInputs(data: StudyData, cfg: StudyConfig): Generator<Tensor> {
  const set = data.test.take(cfg.sizes.ckaSize);
  for (const b of set.batches(cfg.sizes.ckaBatch, { dropLast: true, shuffle: 4242 })) {
    try {
      yield b.x;
    } finally {
      b.x.dispose();
    }
  }
}

/** Layer × layer CKA within one model, with each layer's first-PC variance share. */
export const withinModel = (m: Module, data: StudyData, cfg: StudyConfig): Promise<CkaMatrix> =>
  layerSimilarity(m, null, ckaInputs(data, cfg), { layers: ckaLayers(m), firstPc: true });

export const crossModel = (a: Module, b: Module, data: StudyData, cfg: StudyConfig): Promise<CkaMatrix> =>
  layerSimilarity(a, b, ckaInputs(data, cfg), { layers: ckaLayers(a), layersB: ckaLayers(b) });

/**
 * CKA between each layer's features on clean inputs and on PGD examples made against the same
 * model (methods.md §5.1 analysis 3): the diagonal of a clean × adversarial matrix.
 */
export async function benignVsAdversarial(model: Module, data: StudyData, cfg: StudyConfig, seed: number): Promise<CkaMatrix> {
  const layers = ckaLayers(model);
  const acc = new MinibatchCka(layers, layers);
  const rng = new Rng(seed);
  const set = data.test.take(cfg.sizes.ckaSize);
  for (const b of set.batches(cfg.sizes.ckaBatch, { dropLast: true, shuffle: 4242 })) {
    const y = b.y;
    const adv = pgdTensors(model, b.x, y, resolvePgd('cka', b.x, y, { eps: cfg.eps, steps: Math.min(5, cfg.sizes.evalSteps), seed: rng, trackSteps: false }));
    const fa = captureFeatures(model, b.x, { layers });
    const fb = captureFeatures(model, adv.x, { layers });
    try {
      await acc.update([...fa.values()], [...fb.values()]);
    } finally {
      for (const t of [...fa.values(), ...fb.values()]) t.dispose();
      for (const t of [adv.x, adv.success, adv.loss, adv.firstStep, adv.cleanCorrect]) t.dispose();
      b.x.dispose();
    }
  }
  return acc.result();
}

export const diagonal = (m: CkaMatrix): number[] => m.rows.map((_, i) => m.values[i]![i]!);

/** Long-range similarity (methods.md §5.1): mean CKA over layer pairs at least L/2 apart. */
export const longRange = (m: CkaMatrix): number => longRangeSimilarity(m.values);
