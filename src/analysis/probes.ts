/**
 * Shape-vs-texture probe transforms (methods.md §5.2.5: blur, edges, patch shuffles, noise) and the
 * accuracy of a model under each of them.
 */
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Module } from '../nn/module.js';
import { randn, tensor } from '../ops/creation.js';
import { add, clamp, gt, mul, sqrt, square } from '../ops/elementwise.js';
import { gather, reshape } from '../ops/layout.js';
import { matmul, matmulT } from '../ops/matmul.js';
import { argmax, max } from '../ops/reduce.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor.js';
import type { Batch } from '../data/dataset.js';

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
  batches: Iterable<Batch> | AsyncIterable<Batch>,
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
