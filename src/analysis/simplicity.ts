/**
 * Simplicity and shape-bias metrics (methods.md §5.2, paper (b)), built from the engine's ops so
 * they run on either backend and the CPU run is the float64 oracle of the GPU run:
 * total variation of maps and filters, 2-D DFT power (as products with cos/sin matrices) and the
 * high-frequency energy share, activation TV on clean vs noisy inputs, preferred inputs by
 * activation maximisation, the "fewer input types" proxy, and shape-vs-texture probe transforms.
 */
import { noGrad, valueAndGrad } from '../autograd/tape.js';
import { getBackend, keep, tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Module } from '../nn/module.js';
import { randn, tensor } from '../ops/creation.js';
import { abs, add, clamp, div, gt, maximum, mul, pow, sqrt, square, sub } from '../ops/elementwise.js';
import { gather, reshape, slice, stack } from '../ops/layout.js';
import { matmul, matmulT } from '../ops/matmul.js';
import { argmax, max, mean, sum } from '../ops/reduce.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor.js';
import { topK, type LabelledBatch } from './logits.js';

// ---- total variation --------------------------------------------------------------------------

export interface TVOptions {
  /** Exponent β of each difference (default 1, as in `tv_obs.py::tv_norm`). */
  beta?: number;
  /**
   * Isotropic variant: Σ sqrt(dx² + dy²) over the top-left (h−1)×(w−1) grid (β ignored).
   * Default false: anisotropic Σ|A[i,j] − A[i+1,j]|^β + Σ|A[i,j] − A[i,j+1]|^β, forward differences,
   * no boundary terms.
   */
  isotropic?: boolean;
}

function hw(op: string, a: Tensor): [number, number] {
  if (a.rank < 2) throw new ShapeError(`${op}: needs maps [..., height, width], got ${fmtShape(a.shape)}`);
  return [a.shape[a.rank - 2]!, a.shape[a.rank - 1]!];
}

/** Shift along one of the last two axes: the part from `from` to `to` (exclusive) of that axis. */
function band(a: Tensor, axis: -2 | -1, from: number, to: number, otherTo?: number): Tensor {
  const starts = a.shape.map(() => 0);
  const ends: (number | undefined)[] = a.shape.map(() => undefined);
  const ax = a.rank + axis;
  const other = axis === -2 ? a.rank - 1 : a.rank - 2;
  starts[ax] = from;
  ends[ax] = to;
  if (otherTo !== undefined) ends[other] = otherTo;
  return slice(a, starts, ends);
}

/**
 * Total variation of each 2-D map over the last two axes: [..., H, W] → [...] (per channel per
 * image for activations [N, C, H, W]). Differentiable (except isotropic TV at flat points).
 */
export function totalVariation(a: Tensor, opts: TVOptions = {}): Tensor {
  const [H, W] = hw('totalVariation', a);
  const beta = opts.beta ?? 1;
  if (!(beta > 0)) throw new ValueError(`totalVariation: beta ${beta} must be > 0`);
  return tidy(() => {
    if (opts.isotropic) {
      if (H < 2 || W < 2) throw new ShapeError(`totalVariation: the isotropic variant needs maps at least 2×2, got ${fmtShape(a.shape)}`);
      const tl = band(band(a, -2, 0, H - 1), -1, 0, W - 1);
      const dy = sub(band(band(a, -2, 1, H), -1, 0, W - 1), tl);
      const dx = sub(band(band(a, -2, 0, H - 1), -1, 1, W), tl);
      return sum(sqrt(add(square(dx), square(dy))), [-2, -1]);
    }
    const term = (d: Tensor): Tensor => sum(beta === 1 ? abs(d) : pow(abs(d), beta), [-2, -1]);
    const parts: Tensor[] = [];
    if (H > 1) parts.push(term(sub(band(a, -2, 0, H - 1), band(a, -2, 1, H))));
    if (W > 1) parts.push(term(sub(band(a, -1, 0, W - 1), band(a, -1, 1, W))));
    if (parts.length === 0) return mul(sum(a, [-2, -1]), 0);
    return parts.length === 2 ? add(parts[0]!, parts[1]!) : parts[0]!;
  });
}

/** a / b, with 0 where b is 0 (an all-zero map has zero TV, energy and norm). */
function safeRatio(a: Tensor, b: Tensor): Tensor {
  return tidy(() => div(a, maximum(b, 1e-30)));
}

/** TV divided by Σ|A| per map ([rec] of §5.2.1: removes the activation scale). */
export function normalizedTotalVariation(a: Tensor, opts: TVOptions = {}): Tensor {
  return tidy(() => safeRatio(totalVariation(a, opts), sum(abs(a), [-2, -1])));
}

/** First-layer filters [O, I, kh, kw]: TV summed over input channels, divided by the filter's L2 norm → [O]. */
export function filterTotalVariation(weight: Tensor, opts: TVOptions = {}): Tensor {
  if (weight.rank !== 4) throw new ShapeError(`filterTotalVariation: conv weight must be [out, in, kh, kw], got ${fmtShape(weight.shape)}`);
  return tidy(() => safeRatio(sum(totalVariation(weight, opts), 1), sqrt(sum(square(weight), [1, 2, 3]))));
}

// ---- spectra ----------------------------------------------------------------------------------

/** cos and sin of 2π k i / N for k < N, i < n, as [N, n] (angles reduced mod N in float64). */
function dftMatrices(N: number, n: number, backend: Tensor['backend']): { c: Tensor; s: Tensor } {
  const c = new Float64Array(N * n);
  const s = new Float64Array(N * n);
  for (let k = 0; k < N; k++) {
    for (let i = 0; i < n; i++) {
      const ang = (2 * Math.PI * ((k * i) % N)) / N;
      c[k * n + i] = Math.cos(ang);
      s[k * n + i] = Math.sin(ang);
    }
  }
  return { c: tensor(c, [N, n], { backend }), s: tensor(s, [N, n], { backend }) };
}

/**
 * |DFT|² of each map [..., h, w] zero-padded to N×N (N >= h, w; default max(h, w)) → [..., N, N],
 * unnormalised: X̂[k, l] = Σ_{i,j} x[i, j] e^{−2πi(ki + lj)/N}. Written as X̂ = F_h X F_wᵀ with the
 * first h (w) columns of the N-point DFT matrix, which is what zero-padding means.
 */
export function dft2Power(x: Tensor, size?: number): Tensor {
  const [h, w] = hw('dft2Power', x);
  const N = size ?? Math.max(h, w);
  if (!Number.isInteger(N) || N < h || N < w) throw new ShapeError(`dft2Power: size ${N} must be an integer >= the map size ${h}×${w}`);
  const lead = x.shape.slice(0, -2);
  return tidy(() => {
    const X = reshape(x, [-1, h, w]);
    const fh = dftMatrices(N, h, x.backend);
    const fw = h === w ? fh : dftMatrices(N, w, x.backend);
    const ch = matmul(fh.c, X);
    const sh = matmul(fh.s, X);
    const re = sub(matmulT(ch, fw.c, false, true), matmulT(sh, fw.s, false, true));
    const im = add(matmulT(sh, fw.c, false, true), matmulT(ch, fw.s, false, true)); // −Im; squared anyway
    return reshape(add(square(re), square(im)), [...lead, N, N]);
  });
}

/** Radial frequency of DFT index (k, l) on an N-point grid: sqrt(min(k, N−k)² + min(l, N−l)²). */
export function radialFrequency(N: number): Float64Array {
  const r = new Float64Array(N * N);
  for (let k = 0; k < N; k++) for (let l = 0; l < N; l++) r[k * N + l] = Math.hypot(Math.min(k, N - k), Math.min(l, N - l));
  return r;
}

/**
 * High-frequency energy share of power spectra [..., N, N] → [...]:
 * HF = Σ_{radius > r0} P / Σ P, radius in DFT index units; r0 defaults to half of Nyquist (N/4).
 */
export function highFrequencyShare(power: Tensor, r0?: number): Tensor {
  const [N, N2] = hw('highFrequencyShare', power);
  if (N !== N2) throw new ShapeError(`highFrequencyShare: spectra must be square [..., N, N], got ${fmtShape(power.shape)}`);
  const cut = r0 ?? N / 4;
  return tidy(() => {
    const mask = tensor(radialFrequency(N).map((r) => +(r > cut)), [N, N], { backend: power.backend });
    return safeRatio(sum(mul(power, mask), [-2, -1]), sum(power, [-2, -1]));
  });
}

/** Filters [O, I, kh, kw]: power summed over input channels (padded to N, default 16) and its HF share per filter. */
export function filterSpectrum(weight: Tensor, opts: { size?: number; r0?: number } = {}): { power: Tensor; hf: Tensor } {
  if (weight.rank !== 4) throw new ShapeError(`filterSpectrum: conv weight must be [out, in, kh, kw], got ${fmtShape(weight.shape)}`);
  return tidy(() => {
    const power = sum(dft2Power(weight, opts.size ?? 16), 1);
    return { power, hf: highFrequencyShare(power, opts.r0) };
  });
}

// ---- activation maps on clean and noisy inputs ---------------------------------------------

/**
 * Run a forward pass; for every tapped output that `pick` accepts, keep `derive(name, out)`.
 * Tap callbacks run inside the modules' own tidy scopes, so what they compute is taken out of every
 * scope with `keep` (it stays on an open gradient tape): the caller disposes the returned tensors.
 * Also returns the names of all taps, for error messages.
 */
function tapped(model: Module, x: Tensor, pick: (name: string, out: Tensor) => boolean, derive: (name: string, out: Tensor) => Tensor): { got: { name: string; t: Tensor }[]; seen: string[] } {
  const got: { name: string; t: Tensor }[] = [];
  const seen: string[] = [];
  try {
    tidy(() => {
      model.forward(x, {
        tap: (name, out) => {
          seen.push(name);
          if (pick(name, out)) got.push({ name, t: keep(derive(name, out)) });
        },
      });
    });
  } catch (e) {
    for (const g of got) g.t.dispose();
    throw e;
  }
  return { got, seen };
}

/** The backend a model's parameters live on (the default backend for a parameter-free model). */
function modelBackend(model: Module): Tensor['backend'] {
  return model.parameters()[0]?.backend ?? getBackend();
}

/** Taps of conv maps (rank 4) unless names are given. */
const layerPicker = (names: readonly string[] | undefined) => (name: string, out: Tensor): boolean => (names ? names.includes(name) : out.rank === 4);

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

// ---- preferred inputs (activation maximisation) --------------------------------------------

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

// ---- "fewer input types" proxy ----------------------------------------------------------------

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
  batches: Iterable<LabelledBatch> | AsyncIterable<LabelledBatch>,
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

// ---- shape vs texture probes ------------------------------------------------------------------

function images4(op: string, x: Tensor): [number, number, number, number] {
  if (x.rank !== 4) throw new ShapeError(`${op}: images must be [batch, channels, height, width], got ${fmtShape(x.shape)}`);
  return x.shape as unknown as [number, number, number, number];
}

/** Apply A [H, H] on the left and B [W, W] on the right of every map: A·X·Bᵀ. */
function separable(x: Tensor, a: Float64Array, b: Float64Array): Tensor {
  const [N, C, H, W] = images4('separable', x);
  return tidy(() => {
    const X = reshape(x, [N * C, H, W]);
    const A = tensor(a, [H, H], { backend: x.backend });
    const B = tensor(b, [W, W], { backend: x.backend });
    return reshape(matmulT(matmul(A, X), B, false, true), [N, C, H, W]);
  });
}

/** n×n banded matrix M[i, i+d] = taps[d + r] for |d| <= r (zero outside the image). */
function banded(n: number, taps: readonly number[], normalise = false): Float64Array {
  const r = (taps.length - 1) / 2;
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = -r; d <= r; d++) {
      const j = i + d;
      if (j < 0 || j >= n) continue;
      m[i * n + j] = taps[d + r]!;
      s += taps[d + r]!;
    }
    if (normalise) for (let j = 0; j < n; j++) m[i * n + j]! /= s;
  }
  return m;
}

/** Gaussian blur of images [N, C, H, W] with std `sigma` pixels, truncated at 3σ, renormalised at the borders. */
export function gaussianBlur(x: Tensor, sigma: number): Tensor {
  const [, , H, W] = images4('gaussianBlur', x);
  if (!(sigma > 0)) throw new ValueError(`gaussianBlur: sigma ${sigma} must be > 0`);
  const r = Math.ceil(3 * sigma);
  const taps = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  return separable(x, banded(H, taps, true), banded(W, taps, true));
}

/** Sobel gradient magnitude of every map (zero padding): sqrt(Gx² + Gy²), Gx = [1,2,1]ᵀ⊗[−1,0,1]. */
export function sobelMagnitude(x: Tensor): Tensor {
  const [, , H, W] = images4('sobelMagnitude', x);
  return tidy(() => {
    const gx = separable(x, banded(H, [1, 2, 1]), banded(W, [-1, 0, 1]));
    const gy = separable(x, banded(H, [-1, 0, 1]), banded(W, [1, 2, 1]));
    return sqrt(add(square(gx), square(gy)));
  });
}

/** Binary edge maps: 1 where the Sobel magnitude exceeds `threshold` × that map's maximum magnitude. */
export function edgeMap(x: Tensor, threshold = 0.25): Tensor {
  if (!(threshold >= 0 && threshold < 1)) throw new ValueError(`edgeMap: threshold ${threshold} must be in [0, 1)`);
  return tidy(() => {
    const m = sobelMagnitude(x);
    return gt(m, mul(max(m, [2, 3], true), threshold));
  });
}

/** Cut each image into a grid×grid array of patches and shuffle them (one seeded permutation per image, shared by its channels). */
export function patchShuffle(x: Tensor, grid: number, seed: number | Rng = 0): Tensor {
  const [N, C, H, W] = images4('patchShuffle', x);
  if (!Number.isInteger(grid) || grid < 1 || H % grid !== 0 || W % grid !== 0) {
    throw new ShapeError(`patchShuffle: a ${grid}×${grid} grid must divide the image size ${H}×${W}; crop or pad the images first`);
  }
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  const ph = H / grid;
  const pw = W / grid;
  const idx = new Int32Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    const perm = rng.permutation(grid * grid);
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * H * W;
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const src = perm[Math.floor(i / ph) * grid + Math.floor(j / pw)]!;
          const si = Math.floor(src / grid) * ph + (i % ph);
          const sj = (src % grid) * pw + (j % pw);
          idx[base + i * W + j] = base + si * W + sj;
        }
      }
    }
  }
  return tidy(() => reshape(gather(reshape(x, [-1]), tensor(idx, [idx.length], { dtype: 'int32', backend: x.backend }), 0), [N, C, H, W]));
}

/** x + N(0, std²) noise, clipped to [0, 1]. */
export function addGaussianNoise(x: Tensor, std: number, seed: number | Rng = 0): Tensor {
  if (!(std >= 0)) throw new ValueError(`addGaussianNoise: std ${std} must be >= 0`);
  return tidy(() => clamp(add(x, randn(x.shape, seed, { std, backend: x.backend })), 0, 1));
}

export interface ProbeTransform {
  name: string;
  /** Transform a batch (a new tensor); `seed` changes per batch. */
  apply: (x: Tensor, seed: number) => Tensor;
}

/** The probe families of §5.2.5 at a few strengths, for MNIST-like [N, 1, 28, 28] images. */
export function standardTransforms(): ProbeTransform[] {
  return [
    { name: 'clean', apply: (x) => tidy(() => mul(x, 1)) },
    { name: 'blur-1', apply: (x) => gaussianBlur(x, 1) },
    { name: 'blur-2', apply: (x) => gaussianBlur(x, 2) },
    { name: 'edges', apply: (x) => edgeMap(x) },
    { name: 'shuffle-2x2', apply: (x, s) => patchShuffle(x, 2, s) },
    { name: 'shuffle-4x4', apply: (x, s) => patchShuffle(x, 4, s) },
    { name: 'noise-0.1', apply: (x, s) => addGaussianNoise(x, 0.1, s) },
    { name: 'noise-0.3', apply: (x, s) => addGaussianNoise(x, 0.3, s) },
  ];
}

/** Accuracy of `model` (eval mode) on each transform of every batch: one pass over the data. */
export async function accuracyUnderTransforms(
  model: Module,
  batches: Iterable<LabelledBatch> | AsyncIterable<LabelledBatch>,
  transforms: readonly ProbeTransform[] = standardTransforms(),
  opts: { seed?: number } = {},
): Promise<Record<string, { correct: number; total: number; accuracy: number }>> {
  const res: Record<string, { correct: number; total: number; accuracy: number }> = {};
  for (const t of transforms) res[t.name] = { correct: 0, total: 0, accuracy: NaN };
  const wasTraining = model.training;
  model.eval();
  let b = 0;
  try {
    for await (const { x, y } of batches) {
      const yv = y instanceof Tensor ? Array.from(await y.data()) : Array.from(y as ArrayLike<number>);
      if (yv.length !== x.shape[0]) throw new ShapeError(`accuracyUnderTransforms: ${yv.length} labels for a batch ${fmtShape(x.shape)}`);
      for (const t of transforms) {
        const pred = noGrad(() => tidy(() => argmax(model.forward(t.apply(x, (opts.seed ?? 0) * 7919 + b)), 1)));
        const pv = await pred.data();
        pred.dispose();
        const r = res[t.name]!;
        for (let i = 0; i < yv.length; i++) r.correct += +(pv[i] === yv[i]);
        r.total += yv.length;
      }
      b++;
    }
  } finally {
    model.train(wasTraining);
  }
  for (const r of Object.values(res)) r.accuracy = r.total > 0 ? r.correct / r.total : NaN;
  return res;
}
