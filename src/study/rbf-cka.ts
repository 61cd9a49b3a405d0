/**
 * Layer × layer CKA with the RBF kernel (methods.md §1.1: bandwidth from the median distance,
 * threshold 1), beside the linear minibatch CKA: per batch of the CKA images, each layer's RBF Gram
 * matrix is U-centred once, and the HSIC_1 terms of every layer pair are summed over batches, as the
 * linear estimator does. A layer whose kernel is all zero (median distance 0) is dead: NaN, never divided by.
 */
import { captureFeatures } from '../analysis/features.js';
import { FeatureMatrix } from '../analysis/feature-matrix.js';
import { hsicDenominator, ratio } from '../analysis/hsic.js';
import type { CkaMatrix } from '../analysis/minibatch.js';
import { noGrad } from '../autograd/tape.js';
import type { Module } from '../nn/module.js';
import { frobeniusInner, uCenter } from '../ops/hsic.js';
import type { Tensor } from '../tensor.js';
import type { StudyConfig } from './config.js';
import type { StudyData } from './data.js';
import { ckaInputs, ckaLayers } from './similarity.js';

/** The U-centred RBF Gram matrix of each layer's features on one batch (the caller disposes them). */
function centredGrams(model: Module, x: Tensor, layers: readonly string[]): Tensor[] {
  const feats = captureFeatures(model, x, { layers });
  try {
    return [...feats.values()].map((f) => {
      // captureFeatures flattens each example already: [B, features].
      const fm = new FeatureMatrix(f, 'rbfCkaMatrix');
      try {
        const k = fm.rbfGram(1);
        const c = noGrad(() => uCenter(k));
        k.dispose();
        return c;
      } finally {
        fm.dispose();
      }
    });
  } finally {
    for (const t of feats.values()) t.dispose();
  }
}

/** RBF CKA within one model (b null) or between the matching layer lists of two models, on the CKA images. */
export async function rbfCkaMatrix(a: Module, b: Module | null, data: StudyData, cfg: StudyConfig): Promise<CkaMatrix> {
  const rows = ckaLayers(a);
  const cols = b ? ckaLayers(b) : rows;
  const xy = rows.map(() => cols.map(() => 0));
  const xx = rows.map(() => 0);
  const yy = cols.map(() => 0);
  let batches = 0;
  let examples = 0;
  for (const x of ckaInputs(data, cfg)) {
    const ka = centredGrams(a, x, rows);
    const kb = b ? centredGrams(b, x, cols) : ka;
    try {
      const z = hsicDenominator(x.shape[0]!, true);
      for (let i = 0; i < rows.length; i++) xx[i]! += (await frobeniusInner(ka[i]!, ka[i]!)) / z;
      if (b) for (let j = 0; j < cols.length; j++) yy[j]! += (await frobeniusInner(kb[j]!, kb[j]!)) / z;
      for (let i = 0; i < rows.length; i++) {
        for (let j = 0; j < cols.length; j++) xy[i]![j]! += (await frobeniusInner(ka[i]!, kb[j]!)) / z;
      }
    } finally {
      for (const t of ka) t.dispose();
      if (kb !== ka) for (const t of kb) t.dispose();
    }
    batches++;
    examples += x.shape[0]!;
  }
  const self = b ? yy : xx;
  return {
    rows, cols, values: rows.map((_, i) => cols.map((__, j) => ratio(xy[i]![j]!, xx[i]!, self[j]!))),
    deadRows: xx.map((v) => !(v > 0)), deadCols: self.map((v) => !(v > 0)),
    estimator: `minibatch RBF CKA (HSIC_1, median-distance bandwidth, threshold 1) over ${batches} batches`, batches, examples,
  };
}
