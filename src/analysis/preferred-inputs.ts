/** Preferred inputs by activation maximisation (methods.md §5.2.3), with their TV and high-frequency share. */
import { noGrad, valueAndGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Module } from '../nn/module.js';
import { randn, tensor } from '../ops/creation.js';
import { add, clamp, div, mul, sqrt, square } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { Tensor } from '../tensor.js';
import { dft2Power, highFrequencyShare } from './spectra.js';
import { modelBackend, tapped } from './taps.js';
import { totalVariation } from './total-variation.js';

/** A tapped output's per-example activation of the selected channel: spatial mean for maps. */
function channelActivation(out: Tensor, mask: Tensor): Tensor {
  const perChannel = out.rank > 2 ? mean(out, Array.from({ length: out.rank - 2 }, (_, i) => i + 2)) : out;
  return sum(mul(perChannel, mask), 1);
}

export interface PreferredInputs {
  channels: number[];
  /** Optimised images [K, C, H, W] (the caller disposes them). */
  images: Tensor;
  /** Target activation per channel at the start and after the last step. */
  start: number[];
  end: number[];
  /** Anisotropic TV (summed over input channels) and HF share of each image. */
  tv: number[];
  hf: number[];
}

/**
 * Gradient ascent on the input for each channel of `layer` (methods §5.2.3): x₀ = 0.5 + noise·N(0,1),
 * then x ← clip_[0,1](x + lr·g/rms(g)) with g = ∇_x mean activation of the channel (rms per image,
 * so every step moves pixels by about lr). All channels run together, one image each, in eval mode.
 */
export async function preferredInputs(
  model: Module,
  layer: string,
  inputShape: readonly number[],
  opts: { channels?: readonly number[]; steps?: number; lr?: number; noise?: number; seed?: number; dftSize?: number; r0?: number } = {},
): Promise<PreferredInputs> {
  if (inputShape.length !== 3) throw new ShapeError(`preferredInputs: inputShape must be [channels, height, width], got ${fmtShape(inputShape)}`);
  const steps = opts.steps ?? 64;
  const lr = opts.lr ?? 0.05;
  const wasTraining = model.training;
  model.eval();
  /** The kept per-example target activation at `layer` (the caller disposes it). */
  const activation = (x: Tensor, derive: (out: Tensor) => Tensor): Tensor => {
    const { got, seen } = tapped(model, x, (n) => n === layer, (_, out) => derive(out));
    for (const g of got.slice(1)) g.t.dispose();
    if (got.length === 0) throw new ValueError(`preferredInputs: no layer '${layer}'; the model taps ${seen.join(', ')}`);
    return got[0]!.t;
  };
  try {
    // Find the layer's channel count with a one-image probe.
    let width = 0;
    const backend = modelBackend(model);
    const probe = tensor(new Float64Array(inputShape.reduce((a, b) => a * b, 1)).fill(0.5), [1, ...inputShape], { backend });
    try {
      noGrad(() => activation(probe, (out) => ((width = out.shape[1]!), mul(out, 1)))).dispose();
    } finally {
      probe.dispose();
    }
    const channels = [...(opts.channels ?? Array.from({ length: width }, (_, i) => i))];
    for (const c of channels) if (!Number.isInteger(c) || c < 0 || c >= width) throw new ValueError(`preferredInputs: channel ${c} is outside [0, ${width}) of layer '${layer}'`);
    const K = channels.length;
    const maskData = new Float64Array(K * width);
    channels.forEach((c, k) => (maskData[k * width + c] = 1));
    const mask = tensor(maskData, [K, width], { backend });
    const target = (out: Tensor): Tensor => channelActivation(out, mask);
    let x = tidy(() => clamp(add(randn([K, ...inputShape], opts.seed ?? 0, { std: opts.noise ?? 0.01, backend }), 0.5), 0, 1));
    const measure = (xx: Tensor): Tensor => noGrad(() => activation(xx, target));
    let a0: Tensor | null = null;
    let a1: Tensor | null = null;
    try {
      a0 = measure(x);
      for (let s = 0; s < steps; s++) {
        let act: Tensor | null = null;
        try {
          const { value, grads } = valueAndGrad(() => sum((act = activation(x, target))), [x]);
          const next = tidy(() => {
            const g = grads[0]!;
            const rms = sqrt(add(mean(square(g), [1, 2, 3], true), 1e-24));
            return clamp(add(x, mul(div(g, rms), lr)), 0, 1);
          });
          value.dispose();
          grads[0]!.dispose();
          x.dispose();
          x = next;
        } finally {
          (act as Tensor | null)?.dispose();
        }
      }
      a1 = measure(x);
    } catch (e) {
      x.dispose();
      a0?.dispose();
      throw e;
    } finally {
      mask.dispose();
    }
    const { tv, hf } = tidy(() => ({
      tv: sum(totalVariation(x), 1),
      hf: highFrequencyShare(sum(dft2Power(x, opts.dftSize ?? Math.max(inputShape[1]!, inputShape[2]!)), 1), opts.r0),
    }));
    const read = async (t: Tensor) => {
      const v = Array.from(await t.data());
      t.dispose();
      return v;
    };
    return { channels, images: x, start: await read(a0!), end: await read(a1!), tv: await read(tv), hf: await read(hf) };
  } finally {
    model.train(wasTraining);
  }
}
