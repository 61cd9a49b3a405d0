// Every CKA estimator on the GPU against the float64 CPU oracle on random data of awkward shapes, and
// the symmetric Gram kernels (plain and subgroup) against the oracle, exactly symmetric, and the
// feature-centring kernels against each other and the oracle.
import { describe, expect, it } from 'vitest';
import { cpu, tensor, Rng } from '../src/node.js';
import { debiasedCka, linearCka } from '../src/analysis/cka.js';
import { minibatchCka } from '../src/analysis/minibatch.js';
import { engine } from '../src/engine.js';
import * as hk from '../src/kernels/hsic.js';
import { close, estimators, gpu, type B } from './helpers/cka-data.js';

describe('GPU estimators against the float64 oracle on random data', () => {
  const shapes: [number, number, number][] = [[4, 1, 3], [37, 5, 130], [70, 33, 8], [129, 64, 7]];
  for (const [n, p, q] of shapes) {
    it(`n=${n}, p=${p}, q=${q}`, async () => {
      const rng = new Rng(n * 1000 + p);
      const xv = rng.fillNormal(n * p).map((v, k) => Math.max(v, 0) + 0.1 * (k % 3));
      const yv = rng.fillNormal(n * q);
      const run = async (b: B) => {
        const x = tensor(xv, [n, p], { backend: b });
        const y = tensor(yv, [n, q], { backend: b });
        try {
          const out: number[] = [];
          for (const [, f] of estimators) {
            if (n >= 6) out.push(await f(x, y));
          }
          out.push((await linearCka(x, y, { form: 'gram' })).hsic.xy, (await debiasedCka(x, y, { form: 'gram' })).hsic.xx);
          if (n >= 8) out.push(await minibatchCka(x, y, Math.floor(n / 2)));
          return out;
        } finally {
          x.dispose();
          y.dispose();
        }
      };
      const [g, c] = [await run(gpu()), await run(cpu)];
      g.forEach((v, i) => close(v, c[i]!, 2e-5, `estimator ${i}`));
    });
  }

  it('the symmetric Gram kernel matches the oracle and is exactly symmetric (n not a multiple of the tile)', async () => {
    for (const [n, p] of [[1, 3], [33, 17], [70, 64], [97, 5]] as const) {
      const v = new Rng(n + p).fillNormal(n * p);
      const g = gpu();
      const xs = g.fromData(v, 'float32');
      const xc = g.centerColumns(xs, n, p);
      const k = g.gram(xc, n, Math.ceil(p / 4) * 4);
      const got = (await g.read(k, n * n, 'float32')) as Float32Array;
      for (const s of [xs, xc, k]) g.free(s);
      const ref = cpu.gram(cpu.centerColumns(Float64Array.from(v), n, p), n, Math.ceil(p / 4) * 4);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          expect(got[i * n + j], `K[${i}][${j}] symmetric`).toBe(got[j * n + i]);
          expect(Math.abs(got[i * n + j]! - ref[i * n + j]!)).toBeLessThan(1e-4 * (1 + Math.abs(ref[i * n + j]!)));
        }
      }
    }
  });
});

describe('Gram kernel variants', () => {
  it('the plain, the subgroup and the wide kernels all match the oracle and are exactly symmetric', async () => {
    const rt = engine.runtime!;
    const variants: hk.GramVariant[] = (await hk.probeSubgroupGram(rt)) ? ['plain', 'subgroup'] : ['plain'];
    if (hk.canUseWideGram(rt)) variants.push('wide');
    const plain = new Map<string, Float32Array>();
    for (const variant of variants) {
      // n across the wide kernel's 16-row and 32-column blocks: 15, 16, 17, 31, 33, 47, 70, 97, 130;
      // from 256 rows its 24-row blocks (hk.wideTile): 257 and 283 end inside one.
      for (const [n, p] of [[1, 3], [9, 4], [15, 9], [16, 8], [17, 1], [31, 13], [33, 17], [47, 6], [70, 64], [97, 5], [130, 36], [257, 5], [283, 2]] as const) {
        const v = new Rng(n * 7 + p).fillNormal(n * p);
        const ld = Math.ceil(p / 4) * 4;
        const g = gpu();
        const xs = g.fromData(v, 'float32');
        const xc = g.centerColumns(xs, n, p);
        const k = hk.gram(rt, xc, n, ld, variant);
        const got = (await g.read(k, n * n, 'float32')) as Float32Array;
        for (const s of [xs, xc, k]) g.free(s);
        if (variant === 'plain') plain.set(`${n},${p}`, got);
        // The wide kernel runs each entry's fma chain over the features in the same order as gram_sym.
        if (variant === 'wide') expect(got, `wide n=${n} p=${p}: the bits of the plain kernel`).toEqual(plain.get(`${n},${p}`));
        const ref = cpu.gram(cpu.centerColumns(Float64Array.from(v), n, p), n, ld);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            expect(got[i * n + j], `${variant} K[${i}][${j}] symmetric`).toBe(got[j * n + i]);
            expect(Math.abs(got[i * n + j]! - ref[i * n + j]!), `${variant} n=${n} p=${p} K[${i}][${j}]`).toBeLessThan(1e-4 * (1 + Math.abs(ref[i * n + j]!)));
          }
        }
      }
    }
    // On lavapipe (Node + Dawn) the subgroup kernel is expected to be available.
    if (rt.adapter.description.includes('llvmpipe')) expect(variants).toEqual(['plain', 'subgroup', 'wide']);
  });
});

describe('feature centring variants', () => {
  it('the chunked, fused and fused4 kernels give the same bits and match the oracle', async () => {
    const rt = engine.runtime!;
    const g = gpu();
    // Odd n and n across the 64-row chunks; p below, at and past a vec4 and the 64-lane workgroup;
    // ReLU-like columns with a large mean (what the two passes are for) and constant columns.
    for (const [n, p] of [[1, 3], [4, 4], [5, 1], [63, 8], [65, 13], [129, 64], [130, 7], [257, 132], [1100, 12]] as const) {
      const v = new Rng(n * 31 + p).fillNormal(n * p).map((x, k) => (k % p === 2 ? 7.25 : Math.max(x, 0) * 3 + 100));
      const ld = Math.ceil(p / 4) * 4;
      const xs = g.fromData(v, 'float32');
      const variants: hk.CenterVariant[] = p % 4 === 0 ? ['chunked', 'fused', 'fused4', 'auto'] : ['chunked', 'fused', 'auto'];
      const outs: Float32Array[] = [];
      for (const variant of variants) {
        const c = hk.centerColumns(rt, xs, n, p, variant);
        outs.push((await g.read(c, n * ld, 'float32')) as Float32Array);
        g.free(c);
      }
      g.free(xs);
      for (let k = 1; k < outs.length; k++) expect(outs[k], `${variants[k]} n=${n} p=${p}: the bits of the chunked kernels`).toEqual(outs[0]);
      const ref = cpu.centerColumns(Float64Array.from(v, Math.fround), n, p);
      for (let i = 0; i < n * ld; i++) {
        const j = i % ld;
        const scale = j < p ? Math.abs(v[Math.floor(i / ld) * p + j]!) : 0;
        expect(Math.abs(outs[0]![i]! - ref[i]!), `n=${n} p=${p} [${i}]`).toBeLessThan(2e-5 * (1 + scale));
      }
    }
  });
});

describe('Gram-matrix centring variants', () => {
  it('U-centring and double centring: the fused and chunked column sums give the same bits and match the oracle', async () => {
    const rt = engine.runtime!;
    const g = gpu();
    // n around the 64-row chunks and the 64-lane workgroup, odd and even; past 1024 the chunked sums.
    for (const n of [4, 5, 63, 65, 129, 257, 1030]) {
      const v = new Rng(n).fillNormal(n * n).map((x) => Math.abs(x) * 3 + 50);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) v[i * n + j] = v[j * n + i]!;
      const k = g.fromData(v, 'float32');
      const f32 = Float64Array.from(v, Math.fround);
      for (const [name, fn, ref] of [['uCenter', hk.uCenter, cpu.uCenter(f32, n)], ['doubleCenter', hk.doubleCenter, cpu.doubleCenter(f32, n)]] as const) {
        const outs: Float32Array[] = [];
        for (const variant of ['chunked', 'fused', 'auto'] as const) {
          const c = fn(rt, k, n, variant);
          outs.push((await g.read(c, n * n, 'float32')) as Float32Array);
          g.free(c);
        }
        expect(outs[1], `${name} fused n=${n}: the bits of the chunked sums`).toEqual(outs[0]);
        expect(outs[2], `${name} auto n=${n}`).toEqual(outs[0]);
        let worst = 0;
        for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs(outs[0]![i]! - ref[i]!));
        expect(worst, `${name} n=${n}: largest error against the oracle`).toBeLessThan(1e-4 * 60);
      }
      g.free(k);
    }
  });
});
