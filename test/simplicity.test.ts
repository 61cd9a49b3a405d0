import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { cpu } from '../src/node.js';
import * as S from '../src/analysis/simplicity.js';
import { checkOp, expectClose, randomValues } from './helpers/oracle.js';
import { TinyLinear, TinyMapNet } from './helpers/tiny.js';

const plus = [0, 1, 0, 1, 1, 1, 0, 1, 0];

async function values(t: rl.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

/** Direct float64 DFT power of an h×w map zero-padded to N×N. */
function directPower(x: ArrayLike<number>, h: number, w: number, N: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < N; k++) {
    for (let l = 0; l < N; l++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const a = (-2 * Math.PI * (k * i + l * j)) / N;
          re += x[i * w + j]! * Math.cos(a);
          im += x[i * w + j]! * Math.sin(a);
        }
      }
      out.push(re * re + im * im);
    }
  }
  return out;
}

describe('total variation', () => {
  it('the 3×3 plus image has TV 8 (anisotropic) and 3.41421356 (isotropic), on both backends', async () => {
    for (const backend of [rl.getBackend(), cpu]) {
      const a = rl.tensor(plus, [3, 3], { backend });
      expect((await values(S.totalVariation(a)))[0]).toBeCloseTo(8, 6);
      expect((await values(S.totalVariation(a, { isotropic: true })))[0]).toBeCloseTo(3.41421356, 6);
      expect((await values(S.normalizedTotalVariation(a)))[0]).toBeCloseTo(8 / 5, 6);
      a.dispose();
    }
  });

  it('per channel per image on awkward shapes, forward and backward against the oracle', async () => {
    await checkOp('tv [2,3,5,7]', (a) => S.totalVariation(a), [{ shape: [2, 3, 5, 7] }]);
    await checkOp('tv beta=2 [1,2,4,3]', (a) => S.totalVariation(a, { beta: 2 }), [{ shape: [1, 2, 4, 3] }]);
    await checkOp('tv iso [3,6,5]', (a) => S.totalVariation(a, { isotropic: true }), [{ shape: [3, 6, 5] }]);
    await checkOp('tv h=1 [2,1,9]', (a) => S.totalVariation(a), [{ shape: [2, 1, 9] }]);
    await checkOp('filter tv [4,3,3,5]', (w) => S.filterTotalVariation(w), [{ shape: [4, 3, 3, 5] }]);
  });

  it('filter TV is normalised by the L2 norm and is scale-free', async () => {
    const w = rl.tensor([...plus, ...plus.map((v) => 3 * v)], [2, 1, 3, 3]);
    const v = await values(S.filterTotalVariation(w));
    expect(v[0]).toBeCloseTo(8 / Math.sqrt(5), 5);
    expect(v[1]).toBeCloseTo(v[0]!, 5);
    w.dispose();
  });
});

describe('DFT power and high-frequency share', () => {
  it('matches a direct float64 sum, zero-padded, on both backends', async () => {
    for (const [h, w, N] of [[5, 7, 8], [3, 3, 16], [4, 4, 4], [1, 6, 7]]) {
      const x = randomValues([2, h!, w!], h! * 31 + w!);
      const want = [...directPower(x.subarray(0, h! * w!), h!, w!, N!), ...directPower(x.subarray(h! * w!), h!, w!, N!)];
      for (const backend of [rl.getBackend(), cpu]) {
        const t = rl.tensor(x, [2, h!, w!], { backend });
        expectClose(await values(S.dft2Power(t, N)), want, backend === cpu ? { rtol: 1e-10, atol: 1e-10 } : { rtol: 1e-4, atol: 1e-4 }, `dft ${h}x${w}→${N} ${backend.kind}`);
        t.dispose();
      }
    }
  });

  it('a 4×4 checkerboard puts all its power (256) at (2, 2); a constant kernel puts it all at DC', async () => {
    const check = Array.from({ length: 16 }, (_, k) => ((Math.floor(k / 4) + (k % 4)) % 2 ? -1 : 1));
    const c = rl.tensor(check, [4, 4]);
    const p = await values(S.dft2Power(c, 4));
    p.forEach((v, i) => expect(v, `index ${i}`).toBeCloseTo(i === 2 * 4 + 2 ? 256 : 0, 3));
    const one = rl.ones([4, 4]);
    const q = await values(S.dft2Power(one, 4));
    q.forEach((v, i) => expect(v).toBeCloseTo(i === 0 ? 256 : 0, 3));
    // HF share with r0 = N/4 = 1: the checkerboard is all high frequency, the constant none.
    const pc = S.dft2Power(c, 4);
    const pq = S.dft2Power(one, 4);
    expect((await values(S.highFrequencyShare(pc)))[0]).toBeCloseTo(1, 6);
    expect((await values(S.highFrequencyShare(pq)))[0]).toBeCloseTo(0, 6);
    for (const t of [c, one, pc, pq]) t.dispose();
  });

  it('HF share by hand on a 4-point grid, and filter spectra per filter', async () => {
    // radius > 1 on N=4 only for (k,l) with both |k|,|l| >= 1 (sqrt 2, sqrt 5, sqrt 8) or a 2 (radius 2).
    const r = S.radialFrequency(4);
    expect(r[0 * 4 + 2]).toBe(2);
    expect(r[1 * 4 + 3]).toBeCloseTo(Math.SQRT2, 12);
    const power = rl.tensor(Array.from({ length: 16 }, (_, i) => i + 1), [4, 4]);
    const want = Array.from({ length: 16 }, (_, i) => (r[i]! > 1 ? i + 1 : 0)).reduce((a, b) => a + b, 0) / 136;
    expect((await values(S.highFrequencyShare(power)))[0]).toBeCloseTo(want, 6);
    power.dispose();
    const w = rl.tensor(randomValues([3, 2, 3, 3], 4), [3, 2, 3, 3]);
    const { power: fp, hf } = S.filterSpectrum(w, { size: 16 });
    expect(fp.shape).toEqual([3, 16, 16]);
    const hv = await values(hf);
    fp.dispose();
    for (const v of hv) expect(v > 0 && v < 1).toBe(true);
    await checkOp('hf(dft(x))', (x) => S.highFrequencyShare(S.dft2Power(x, 9)), [{ shape: [2, 5, 5] }], { finiteDiff: false });
    w.dispose();
  });
});

describe('activation maps, preferred inputs and input diversity', () => {
  it('activation TV equals the TV of the tapped map; no noise means no outliers', async () => {
    const net = TinyMapNet.seeded(6, 5, 3, 2);
    const x = rl.rand([4, 1, 6, 5], 9);
    const [layer] = await S.activationTV(net, x, { noiseStd: 0 });
    expect(layer!.name).toBe('map');
    let map: rl.Tensor | null = null;
    const z = net.forward(x, { tap: (n, o) => { if (n === 'map') map = rl.keep(rl.mul(o, 1)); } });
    z.dispose();
    const direct = await values(rl.tidy(() => rl.mean(S.totalVariation(map!), 0)));
    map!.dispose();
    expectClose(layer!.tvClean, direct, { rtol: 1e-5 }, 'activation TV');
    expect(layer!.tvNoisy).toEqual(layer!.tvClean);
    expect(layer!.outlier).toEqual([false]);
    const [noisy] = await S.activationTV(net, x, { noiseStd: 0.5, seed: 1 });
    expect(noisy!.tvNoisy[0]!).toBeGreaterThan(noisy!.tvClean[0]!);
    x.dispose();
    net.dispose();
  });

  it('activation maximisation increases its target activation (map and fc layers)', async () => {
    const net = TinyMapNet.seeded(6, 5, 3, 7);
    const a = await S.preferredInputs(net, 'map', [1, 6, 5], { steps: 10, lr: 0.05, seed: 3 });
    expect(a.channels).toEqual([0]);
    expect(a.end[0]!).toBeGreaterThan(a.start[0]!);
    const b = await S.preferredInputs(net, 'fc', [1, 6, 5], { steps: 10, lr: 0.05, seed: 3, channels: [0, 2] });
    expect(b.images.shape).toEqual([2, 1, 6, 5]);
    b.end.forEach((e, k) => expect(e).toBeGreaterThan(b.start[k]!));
    const px = await b.images.data();
    for (const v of px) expect(v >= 0 && v <= 1).toBe(true);
    expect(b.tv.length).toBe(2);
    b.hf.forEach((h) => expect(h >= 0 && h <= 1).toBe(true));
    await expect(S.preferredInputs(net, 'nope', [1, 6, 5], { steps: 1 })).rejects.toThrow(/no layer 'nope'.*map, fc/);
    a.images.dispose();
    b.images.dispose();
    net.dispose();
  });

  it('preferred inputs on the GPU follow the float64 run', async () => {
    const runOn = async (backend: rl.Backend) => {
      const net = new TinyMapNet(rl.tensor(randomValues([5, 5], 1), [5, 5], { backend }), rl.tensor(randomValues([30, 3], 2), [30, 3], { backend }));
      const r = await S.preferredInputs(net, 'fc', [1, 6, 5], { steps: 3, lr: 0.02, seed: 4 });
      const img = await values(r.images);
      net.dispose();
      return { img, end: r.end, tv: r.tv, hf: r.hf };
    };
    const gpu = await runOn(rl.getBackend());
    const ref = await runOn(cpu);
    expectClose(gpu.img, ref.img, { rtol: 1e-4, atol: 1e-4 }, 'images');
    expectClose(gpu.end, ref.end, { rtol: 1e-4, atol: 1e-4 }, 'activations');
    expectClose(gpu.tv, ref.tv, { rtol: 1e-3, atol: 1e-4 }, 'tv');
    expectClose(gpu.hf, ref.hf, { rtol: 1e-3, atol: 1e-5 }, 'hf');
  });

  it('input diversity of the top-k images per channel', async () => {
    // Channel 0 fires on label-0 images only; channel 1 on a mix of labels 0, 1, 2.
    const model = new TinyLinear(rl.tensor([1, 0, 0, 1], [2, 2]), rl.zeros([2]));
    const x = rl.tensor([9, 0, 8, 5, 7, 6, 0, 7, 0, 9, 1, 1], [6, 2]);
    const r = await S.inputTypeDiversity(model, 'fc', [{ x, y: Int32Array.of(0, 0, 0, 1, 2, 1), idx: Int32Array.of(0, 1, 2, 3, 4, 5) }], { k: 3 });
    expect(r.top).toEqual([[0, 1, 2], [4, 3, 2]]);
    expect(r.labelEntropy[0]).toBe(0);
    expect(r.classesFor90).toEqual([1, 3]);
    expect(r.labelEntropy[1]).toBeCloseTo(Math.log(3), 12);
    const d = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);
    expect(r.meanPairwiseL2[0]).toBeCloseTo((d([9, 0], [8, 5]) + d([9, 0], [7, 6]) + d([8, 5], [7, 6])) / 3, 5);
    x.dispose();
    model.dispose();
  });
});

describe('shape versus texture probes', () => {
  it('blur and Sobel agree with the oracle and keep constants / detect a step', async () => {
    await checkOp('blur', (x) => S.gaussianBlur(x, 1.2), [{ shape: [2, 1, 7, 9] }]);
    await checkOp('sobel', (x) => S.sobelMagnitude(x), [{ shape: [1, 2, 5, 6], values: randomValues([1, 2, 5, 6], 3, 0, 1) }]);
    const c = rl.full([1, 1, 5, 5], 0.4);
    for (const v of await values(S.gaussianBlur(c, 2))) expect(v).toBeCloseTo(0.4, 6);
    // A vertical step 0|1 between columns 2 and 3: interior Sobel |Gx| = 4 on both sides of it.
    const step = rl.tensor(Array.from({ length: 36 }, (_, k) => (k % 6 >= 3 ? 1 : 0)), [1, 1, 6, 6]);
    const m = await values(S.sobelMagnitude(step));
    expect(m[2 * 6 + 2]).toBeCloseTo(4, 6);
    expect(m[2 * 6 + 3]).toBeCloseTo(4, 6);
    expect(m[2 * 6 + 0]).toBeCloseTo(0, 6);
    const e = await values(S.edgeMap(step, 0.5));
    expect(e.slice(12, 18)).toEqual([0, 0, 1, 1, 0, 1]); // the last column sees the zero padding
    for (const t of [c, step]) t.dispose();
  });

  it('patch shuffle moves whole patches, is seeded, and grid 1 is the identity', async () => {
    const x = rl.tensor(Array.from({ length: 2 * 16 }, (_, k) => k), [2, 1, 4, 4]);
    expect(await values(S.patchShuffle(x, 1, 3))).toEqual(Array.from({ length: 32 }, (_, k) => k));
    const s = await values(S.patchShuffle(x, 2, 3));
    expect(await values(S.patchShuffle(x, 2, 3))).toEqual(s);
    expect([...s].sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, k) => k));
    const patchOf = (v: number[], n: number, p: number) => [0, 1, 4, 5].map((o) => v[n * 16 + Math.floor(p / 2) * 8 + (p % 2) * 2 + o]!);
    const orig = Array.from({ length: 32 }, (_, k) => k);
    for (let n = 0; n < 2; n++) {
      const have = [0, 1, 2, 3].map((p) => patchOf(s, n, p).join()).sort();
      expect(have).toEqual([0, 1, 2, 3].map((p) => patchOf(orig, n, p).join()).sort());
    }
    expect(() => S.patchShuffle(x, 3)).toThrow(/must divide the image size 4×4/);
    await checkOp('patchShuffle', (t) => S.patchShuffle(t, 2, 3), [{ shape: [3, 2, 4, 6] }]);
    await checkOp('edgeMap', (t) => S.edgeMap(t, 0.3), [{ shape: [2, 1, 7, 5], values: randomValues([2, 1, 7, 5], 8, 0, 1) }], { finiteDiff: false });
    x.dispose();
  });

  it('accuracy under transforms: clean accuracy equals the direct count, noise 0 is the identity', async () => {
    const net = TinyMapNet.seeded(4, 4, 3, 11);
    const x = rl.rand([10, 1, 4, 4], 5);
    const pred = Array.from(await values(rl.tidy(() => rl.argmax(net.forward(x), 1))));
    const y = pred.map((p, i) => (i < 7 ? p : (p + 1) % 3)); // 7 of 10 right by construction
    const res = await S.accuracyUnderTransforms(net, [{ x, y: Int32Array.from(y), idx: Int32Array.from(y, (_, i) => i) }], [
      ...S.standardTransforms().filter((t) => t.name === 'clean' || t.name === 'shuffle-2x2' || t.name === 'blur-1'),
      { name: 'noise-0', apply: (b, s) => S.addGaussianNoise(b, 0, s) },
    ]);
    expect(res.clean).toEqual({ correct: 7, total: 10, accuracy: 0.7 });
    expect(res['noise-0']!.accuracy).toBe(0.7);
    expect(res['shuffle-2x2']!.total).toBe(10);
    x.dispose();
    net.dispose();
  });
});
