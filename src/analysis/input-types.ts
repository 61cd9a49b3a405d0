/** The "fewer input types" proxy (methods.md §5.2.4): how diverse each channel's top-k images are. */
import { noGrad } from '../autograd/tape.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { mul } from '../ops/elementwise.js';
import { reshape } from '../ops/layout.js';
import { max } from '../ops/reduce.js';
import { Tensor } from '../tensor.js';
import type { Batch } from '../data/dataset.js';
import { topK } from './ranks.js';
import { tapped } from './taps.js';

export interface InputTypeDiversity {
  layer: string;
  k: number;
  /** Per channel: label entropy (nats) of its top-k images, classes covering 90% of them, mean pairwise L2. */
  labelEntropy: number[];
  classesFor90: number[];
  meanPairwiseL2: number[];
  /** The top-k image indices (into the concatenated batches) per channel. */
  top: number[][];
}

/**
 * For each channel of `layer`, the k images (default 49) with the highest max spatial activation,
 * and how diverse they are (methods §5.2.4 [rec]).
 */
export async function inputTypeDiversity(
  model: Module,
  layer: string,
  batches: Iterable<Batch> | AsyncIterable<Batch>,
  opts: { k?: number } = {},
): Promise<InputTypeDiversity> {
  const k = opts.k ?? 49;
  const scores: number[][] = []; // [image][channel]
  const images: Float32Array[] = [];
  const labels: number[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    for await (const { x, y } of batches) {
      const { got, seen } = noGrad(() =>
        tapped(model, x, (n) => n === layer, (_, out) => (out.rank > 2 ? max(reshape(out, [out.shape[0]!, out.shape[1]!, -1]), 2) : mul(out, 1))),
      );
      for (const g of got.slice(1)) g.t.dispose();
      if (got.length === 0) throw new ValueError(`inputTypeDiversity: no layer '${layer}'; the model taps ${seen.join(', ')}`);
      const s = got[0]!.t;
      const [B, C] = s.shape as [number, number];
      const v = await s.data();
      s.dispose();
      for (let i = 0; i < B; i++) scores.push(Array.from(v.subarray(i * C, (i + 1) * C)));
      const xv = await x.data();
      const per = x.size / B;
      for (let i = 0; i < B; i++) images.push(Float32Array.from(xv.subarray(i * per, (i + 1) * per)));
      const yv = y instanceof Tensor ? Array.from(await y.data()) : Array.from(y as ArrayLike<number>);
      labels.push(...yv);
    }
  } finally {
    model.train(wasTraining);
  }
  const n = scores.length;
  if (n < k) throw new ValueError(`inputTypeDiversity: ${n} images are fewer than k = ${k}`);
  const C = scores[0]!.length;
  const out: InputTypeDiversity = { layer, k, labelEntropy: [], classesFor90: [], meanPairwiseL2: [], top: [] };
  for (let c = 0; c < C; c++) {
    const top = topK(scores.map((r) => r[c]!), k);
    const counts = new Map<number, number>();
    for (const i of top) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    out.labelEntropy.push(sorted.reduce((a, m) => a - (m / k) * Math.log(m / k), 0));
    let acc = 0;
    let need = 0;
    while (acc < 0.9 * k) acc += sorted[need++]!;
    out.classesFor90.push(need);
    let dist = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        const p = images[top[a]!]!;
        const q = images[top[b]!]!;
        let d = 0;
        for (let j = 0; j < p.length; j++) d += (p[j]! - q[j]!) ** 2;
        dist += Math.sqrt(d);
      }
    }
    out.meanPairwiseL2.push(k > 1 ? dist / ((k * (k - 1)) / 2) : 0);
    out.top.push(top);
  }
  return out;
}
