/** Total variation of activation maps on clean and noisy inputs (methods.md §5.2.1, `tv_obs.py`). */
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Module } from '../nn/module.js';
import { randn } from '../ops/creation.js';
import { add, clamp } from '../ops/elementwise.js';
import { reshape, stack } from '../ops/layout.js';
import { mean } from '../ops/reduce.js';
import { Tensor } from '../tensor.js';
import { layerPicker, tapped } from './taps.js';
import { normalizedTotalVariation, totalVariation, type TVOptions } from './total-variation.js';

export interface ActivationTVLayer {
  name: string;
  /** Mean over images of each channel's TV, clean and noisy, raw and normalised by Σ|A|. */
  tvClean: number[];
  tvNoisy: number[];
  tvNormClean: number[];
  tvNormNoisy: number[];
  meanClean: number;
  /** |TV_clean − TV_noisy| >= 0.2·mean_c TV_clean (the rule of `tv_obs.py`). */
  outlier: boolean[];
}

/**
 * TV of every conv activation map (rank-4 taps, or the named layers) on clean images and on the same
 * images plus Gaussian noise N(0, noiseStd²) clipped to [0, 1], averaged over images per channel.
 */
export async function activationTV(
  model: Module,
  x: Tensor,
  opts: { layers?: readonly string[]; noiseStd?: number; seed?: number; outlierFraction?: number; tv?: TVOptions } = {},
): Promise<ActivationTVLayer[]> {
  const std = opts.noiseStd ?? 0.1;
  const frac = opts.outlierFraction ?? 0.2;
  const wasTraining = model.training;
  model.eval();
  // Per layer a [2, C] tensor: mean TV per channel, then mean normalised TV per channel.
  const collect = (input: Tensor): { name: string; t: Tensor }[] =>
    noGrad(() => {
      const { got } = tapped(model, input, layerPicker(opts.layers), (name, out) =>
        tidy(() => {
          if (out.rank < 3) throw new ShapeError(`activationTV: layer '${name}' output ${fmtShape(out.shape)} has no spatial axes`);
          const flat = reshape(out, [out.shape[0]!, -1, out.shape[out.rank - 2]!, out.shape[out.rank - 1]!]);
          return stack([mean(totalVariation(flat, opts.tv), 0), mean(normalizedTotalVariation(flat, opts.tv), 0)]);
        }),
      );
      return got;
    });
  let clean: ReturnType<typeof collect> = [];
  let noisy: ReturnType<typeof collect> = [];
  try {
    clean = collect(x);
    const xn = tidy(() => clamp(add(x, randn(x.shape, opts.seed ?? 0, { std, backend: x.backend })), 0, 1));
    try {
      noisy = collect(xn);
    } finally {
      xn.dispose();
    }
    if (clean.length === 0) throw new ValueError(`activationTV: no layer matched ${opts.layers ? opts.layers.join(', ') : 'a 4-D output'}`);
    const out: ActivationTVLayer[] = [];
    for (let i = 0; i < clean.length; i++) {
      const c = clean[i]!;
      const n = noisy[i]!;
      const cv = Array.from(await c.t.data());
      const nv = Array.from(await n.t.data());
      const C = cv.length / 2;
      const tvClean = cv.slice(0, C);
      const tvNoisy = nv.slice(0, C);
      const meanClean = tvClean.reduce((a, b) => a + b, 0) / tvClean.length;
      out.push({
        name: c.name, tvClean, tvNoisy,
        tvNormClean: cv.slice(C), tvNormNoisy: nv.slice(C),
        meanClean,
        outlier: tvClean.map((v, k) => Math.abs(v - tvNoisy[k]!) >= frac * meanClean),
      });
    }
    return out;
  } finally {
    for (const r of [...clean, ...noisy]) r.t.dispose();
    model.train(wasTraining);
  }
}
