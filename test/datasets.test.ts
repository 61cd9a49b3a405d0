// Data sources outside the embedded digits: a user's .npy images and labels (every accepted layout
// and dtype, every refusal with its file and example), general .npy arrays, CIFAR-10 binary batch
// directories (small generated files: nothing is downloaded), the named-dataset loader the CLI and
// the study share, and the study's geometry and ε on CIFAR-10.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CIFAR10_TEST_FILE, loadCifar10Dir, loadNamedDataset, loadNamedTestSet, loadNpyDataset } from '../src/data/datasets-node.js';
import { parseNpyArray, serializeNpy } from '../src/data/npy.js';
import { ShapeError, ValueError } from '../src/errors.js';
import { studyConfig } from '../src/study/config.js';
import { loadStudyData } from '../src/study/data.js';
import { build } from '../src/study/models.js';

import { cifarDir, npyFile } from './helpers/data-files.js';

const tmp = mkdtempSync(join(tmpdir(), 'rl-datasets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const i64 = (xs: number[]): Uint8Array => new Uint8Array(BigInt64Array.from(xs.map(BigInt)).buffer);
const f64 = (xs: number[]): Uint8Array => new Uint8Array(Float64Array.from(xs).buffer);

function file(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

/** 3 images of 2×2×2 with values k/100 (k = position), and labels 2, 0, 1. */
const IMAGES = Float32Array.from({ length: 24 }, (_, k) => k / 100);
const images = file('x.npy', serializeNpy(IMAGES, 3, 8));

describe('user images and labels (.npy)', () => {
  it('reads (N, C·H·W) or (N, C, H, W) images with (N,) or (N, 1) labels of int or integer-valued float dtypes', async () => {
    const labelFiles = [
      file('y-i64.npy', npyFile('<i8', [3], i64([2, 0, 1]))),
      file('y-col.npy', npyFile('<i8', [3, 1], i64([2, 0, 1]))),
      file('y-f64.npy', npyFile('<f8', [3, 1], f64([2, 0, 1]))),
      file('y-u8.npy', npyFile('|u1', [3], Uint8Array.from([2, 0, 1]))),
      file('y-i32.npy', npyFile('<i4', [3], new Uint8Array(Int32Array.from([2, 0, 1]).buffer))),
    ];
    for (const y of labelFiles) {
      const ds = await loadNpyDataset(images, y, [2, 2, 2]);
      expect([ds.length, ds.shape, ds.classes, Array.from(ds.labels)]).toEqual([3, [2, 2, 2], 10, [2, 0, 1]]);
      expect(Array.from(ds.images)).toEqual(Array.from(IMAGES));
    }
    const nchw = file('x4.npy', npyFile('<f8', [3, 2, 2, 2], f64(Array.from(IMAGES))));
    const ds = await loadNpyDataset(nchw, labelFiles[0]!, [2, 2, 2], { classes: 3 });
    expect(ds.images[23]).toBeCloseTo(0.23, 6);
    expect(ds.classes).toBe(3);
  });

  it('refuses shape mismatches, N mismatches, values outside [0, 1], and labels that are not classes', async () => {
    const y = file('y.npy', npyFile('<i8', [3], i64([2, 0, 1])));
    const reject = async (x: string, yy: string, shape: [number, number, number], cls: new (...a: never[]) => Error, msg: RegExp, classes?: number): Promise<void> => {
      const p = loadNpyDataset(x, yy, shape, classes ? { classes } : {});
      await expect(p).rejects.toThrow(msg);
      await expect(p).rejects.toBeInstanceOf(cls);
    };
    await reject(images, y, [1, 28, 28], ShapeError, /x\.npy: images have shape \(3, 8\), but --shape 1,28,28 needs \(N, 784\)/);
    await reject(images, file('y2.npy', npyFile('<i8', [2], i64([1, 1]))), [2, 2, 2], ShapeError, /x\.npy holds 3 images but .*y2\.npy holds 2 labels/);
    await reject(images, file('y33.npy', npyFile('<i8', [3, 3], i64([0, 0, 0, 0, 0, 0, 0, 0, 0]))), [2, 2, 2], ShapeError, /labels have shape \(3, 3\); expected \(N,\) or \(N, 1\)/);
    const big = Float32Array.from(IMAGES);
    big[13] = 255;
    await reject(file('x255.npy', serializeNpy(big, 3, 8)), y, [2, 2, 2], ValueError, /value 255 of example 1 \(feature 5\) is outside \[0, 1\]; scale the images/);
    const nan = Float64Array.from(IMAGES);
    nan[2] = NaN;
    await reject(file('xnan.npy', npyFile('<f8', [3, 8], f64(Array.from(nan)))), y, [2, 2, 2], ValueError, /value NaN of example 0/);
    await reject(images, file('yfrac.npy', npyFile('<f8', [3], f64([2, 0.5, 1]))), [2, 2, 2], ValueError, /label 0\.5 of example 1 is not an integer class in \[0, 10\)/);
    await reject(images, file('yneg.npy', npyFile('<i8', [3], i64([2, -1, 1]))), [2, 2, 2], ValueError, /label -1 of example 1/);
    await reject(images, y, [2, 2, 2], ValueError, /label 2 of example 0 is not an integer class in \[0, 2\) \(the model has 2 classes\)/, 2);
    await reject(images, file('ybool.npy', npyFile('|b1', [3], Uint8Array.from([1, 0, 1]))), [2, 2, 2], ValueError, /labels are bool/);
    await reject(file('xint.npy', npyFile('|u1', [3, 8], new Uint8Array(24))), y, [2, 2, 2], ValueError, /images are uint8; expected float32 or float64 in \[0, 1\]/);
    await expect(loadNpyDataset(images, file('ybig.npy', npyFile('>i8', [3], i64([0, 0, 0]))), [2, 2, 2])).rejects.toThrow(/ybig\.npy: dtype '>i8' is big-endian/);
  });

  it('parseNpyArray reads every numeric dtype at any rank and refuses dtypes outside the list', () => {
    const a = parseNpyArray(npyFile('<i8', [2, 1, 2], i64([1, -2, 2 ** 40, 4])));
    expect([a.dtype, a.shape, Array.from(a.data as BigInt64Array)]).toEqual(['int64', [2, 1, 2], [1n, -2n, 2n ** 40n, 4n]]);
    const b = parseNpyArray(npyFile('<u2', [2], new Uint8Array(Uint16Array.from([7, 65535]).buffer)));
    expect([b.dtype, Array.from(b.data as Uint16Array)]).toEqual(['uint16', [7, 65535]]);
    expect(parseNpyArray(npyFile('<f4', [], new Uint8Array(Float32Array.from([1.5]).buffer))).shape).toEqual([]);
    expect(() => parseNpyArray(npyFile('<i8', [1], i64([1])), 'f.npy', ['float32'])).toThrow(/f\.npy: unsupported dtype '<i8'; expected float32 \('<f4'\)/);
    expect(() => parseNpyArray(npyFile('<c8', [1], new Uint8Array(8)))).toThrow(/unsupported dtype '<c8'/);
  });
});

describe('CIFAR-10 binary batches (--data cifar10 --data-dir DIR)', () => {
  const dir = cifarDir(join(tmp, 'cifar'));

  it('reads data_batch_1..5.bin as training and test_batch.bin as test images, in file order', async () => {
    const { train, test } = await loadCifar10Dir(dir);
    expect([train.length, test.length, train.shape, train.classes]).toEqual([20, 6, [3, 32, 32], 10]);
    // Record 1 of data_batch_2 (seed 2) is training example 5: label 3, first pixel (62 + 7) / 255.
    expect(train.labels[5]).toBe(3);
    expect(train.images[5 * 3072]).toBeCloseTo(69 / 255, 6);
    expect(Array.from(test.labels)).toEqual([9, 0, 1, 2, 3, 4]);
  });

  it('a missing batch file is an error naming it and the files the directory must hold', async () => {
    const partial = cifarDir(join(tmp, 'partial'), ['data_batch_3.bin']);
    await expect(loadCifar10Dir(partial)).rejects.toThrow(/CIFAR-10: .*partial\/data_batch_3\.bin is missing; .* must hold data_batch_1\.bin, .*test_batch\.bin/);
    const noTest = cifarDir(join(tmp, 'notest'), [CIFAR10_TEST_FILE]);
    await expect(loadNamedTestSet({ name: 'cifar10', dir: noTest, trainSize: 4, testSize: 4, seed: 0 })).rejects.toThrow(/notest\/test_batch\.bin is missing/);
    await expect(loadNamedDataset({ name: 'cifar10', trainSize: 4, testSize: 4, seed: 0 })).rejects.toThrow(/cifar10 needs the directory of the binary batches \(--data-dir DIR/);
    await expect(loadNamedDataset({ name: 'mnist', dir, trainSize: 4, testSize: 4, seed: 0 })).rejects.toThrow(/mnist .* reads no directory/);
  });

  it('named datasets: seeded subsets; the test set alone is the same examples', async () => {
    const o = { name: 'cifar10' as const, dir, trainSize: 8, testSize: 4, seed: 3 };
    const both = await loadNamedDataset(o);
    expect([both.train.length, both.test.length, both.name]).toEqual([8, 4, `CIFAR-10 (binary batches in ${dir})`]);
    const only = await loadNamedTestSet(o);
    expect(Array.from(only.test.labels)).toEqual(Array.from(both.test.labels));
    expect(Array.from(only.test.images)).toEqual(Array.from(both.test.images));
    const again = await loadNamedDataset({ ...o, seed: 4 });
    expect(Array.from(again.train.labels)).not.toEqual(Array.from(both.train.labels));
    const mnist = await loadNamedTestSet({ name: 'mnist', trainSize: 100, testSize: 50, seed: 0 });
    expect([mnist.test.length, mnist.test.shape]).toEqual([50, [1, 28, 28]]);
  });

  it('the study on cifar10: ε 8/255, its data from DIR, models built for 3×32×32', async () => {
    const cfg = studyConfig({ data: 'cifar10', dataDir: dir, sizes: { trainSize: 12, testSize: 5 } });
    expect(cfg.eps).toBeCloseTo(8 / 255, 12);
    expect(studyConfig({ data: 'fashion-mnist' }).eps).toBe(0.1);
    const data = await loadStudyData(cfg, 0);
    expect([data.train.length, data.test.length, data.train.shape]).toEqual([12, 5, [3, 32, 32]]);
    for (const arch of ['cnn-small', 'plain-cnn'] as const) {
      const m = build({ arch }, cfg, 0);
      expect(m.namedParameters()[0]![1].shape).toEqual([arch === 'cnn-small' ? 32 : 16, 3, 3, 3]);
      m.dispose();
    }
    const cnn = build({ arch: 'cnn-small' }, cfg, 0);
    expect(cnn.namedParameters().find(([n]) => n === '7.weight')![1].shape).toEqual([128, 64 * 8 * 8]);
    cnn.dispose();
  });
});
