// CKA / HSIC against methods.md §1.7–§1.9: reference vectors, invariances, bias, f32 offsets, and
// every estimator on the GPU against the float64 CPU oracle (the same estimator code on `cpu`).
import { describe, expect, it } from 'vitest';
import { cpu, getBackend, tensor, Rng, type Backend, type Tensor } from '../src/node.js';
import { debiasedCka, hsic, linearCka, rbfCka } from '../src/analysis/cka.js';

type B = Backend<any>;
const gpu = (): B => getBackend();

// §1.8 inputs.
const N = 12;
const X = Array.from({ length: N }, (_, i) => Array.from({ length: 4 }, (_, j) => Math.sin(0.5 * i + 1.3 * j) + 0.05 * i * j));
const Y = Array.from({ length: N }, (_, i) => Array.from({ length: 3 }, (_, k) => Math.cos(0.9 * i - 0.4 * k) + 0.3 * X[i]![k % 4]!));
const M = [[1, 0.5, 0], [0, 1, 0.3], [0.2, 0, 1], [0, 0, 0]];
const Y2 = Array.from({ length: N }, (_, i) =>
  Array.from({ length: 3 }, (_, k) => X[i]!.reduce((s, v, j) => s + v * M[j]![k]!, 0) + 0.1 * Math.cos(i * (k + 1))));

const T = (rows: number[][], b: B): Tensor => tensor(rows.flat(), [rows.length, rows[0]!.length], { backend: b });

async function withT<R>(b: B, mats: number[][][], fn: (...ts: Tensor[]) => Promise<R>): Promise<R> {
  const ts = mats.map((m) => T(m, b));
  try {
    return await fn(...ts);
  } finally {
    for (const t of ts) t.dispose();
  }
}

const close = (got: number, want: number, tol: number, what: string): void => {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
};

describe('reference vectors (§1.8)', () => {
  it('sanity rows of the inputs', () => {
    close(X[0]![1]!, 0.9635581854, 1e-10, 'X[0][1]');
    close(Y[0]![1]!, 1.2101284496, 1e-10, 'Y[0][1]');
    close(Y2[0]![0]!, 0.20310027, 1e-8, 'Y2[0][0]');
  });

  for (const [name, backend, tol] of [['cpu', () => cpu, 1e-12], ['gpu', gpu, 1e-5]] as const) {
    it(`HSIC and CKA values on ${name}`, async () => {
      const b = backend();
      await withT(b, [X, Y, Y2], async (x, y, y2) => {
        close(await hsic(x!, y!), 0.4749649842699146, tol, 'HSIC_0(X,Y)');
        close(await hsic(x!, x!), 7.3690990472621065, tol, 'HSIC_0(X,X)');
        close(await hsic(y!, y!), 2.477459298251017, tol, 'HSIC_0(Y,Y)');
        close(await hsic(x!, y!, { unbiased: true }), -0.10916998629097562, tol, 'HSIC_1(X,Y)');
        close(await hsic(x!, x!, { unbiased: true }), 6.924161602605107, tol, 'HSIC_1(X,X)');
        close(await hsic(y!, y!, { unbiased: true }), 2.3147602981728017, tol, 'HSIC_1(Y,Y)');
        for (const form of ['gram', 'feature'] as const) {
          close((await linearCka(x!, y!, { form })).value, 0.11116066401267746, tol, `CKA ${form}`);
          close((await debiasedCka(x!, y!, { form })).value, -0.027268838867027027, tol, `dCKA ${form}`);
          close((await linearCka(x!, y2!, { form })).value, 0.9198767989473191, tol, `CKA(X,Y2) ${form}`);
          close((await debiasedCka(x!, y2!, { form })).value, 0.9143410448975974, tol, `dCKA(X,Y2) ${form}`);
        }
        close((await rbfCka(x!, y!, { threshold: 1 })).value, 0.24663791940533897, tol, 'RBF t=1');
        close((await rbfCka(x!, y!, { threshold: 1, debiased: true })).value, 0.06329850968843188, tol, 'RBF t=1 debiased');
        close((await rbfCka(x!, y!, { threshold: 0.5 })).value, 0.5270415666195124, tol, 'RBF t=0.5');
        close((await rbfCka(x!, y!, { threshold: 0.5, debiased: true })).value, 0.24347453278431463, tol, 'RBF t=0.5 debiased');
      });
      const scaled = X.map((r) => r.map((v, j) => (j === 0 ? 10 * v : v)));
      const perm = [3, 7, 0, 11, 5, 1, 9, 2, 10, 4, 8, 6];
      await withT(b, [scaled, perm.map((i) => X[i]!), Y], async (xs, xp, y) => {
        close((await linearCka(xs!, y!)).value, 0.13757665787514484, tol, 'CKA(X diag(10,1,1,1), Y)');
        close((await linearCka(xp!, y!)).value, 0.02859980414405962, tol, 'CKA(X[perm], Y)');
      });
    });
  }
});

import { MinibatchCka, minibatchCka } from '../src/analysis/minibatch.js';
import { similarityFromMatrices } from '../src/analysis/similarity.js';
import { captureFeatures, layerSimilarity } from '../src/analysis/features.js';
import { ckaMatrixJson } from '../src/analysis/output.js';
import { heatmapSvg } from '../src/report/heatmap.js';
import { Module, tap, type ForwardContext } from '../src/nn/module.js';
import { matmul, mul, relu, reshape, tidy } from '../src/node.js';
import { ShapeError, ValueError } from '../src/errors.js';

const rows = (m: number[][], idx: number[]): number[][] => idx.map((i) => m[i]!);
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

describe('minibatch CKA (§1.6, §1.8)', () => {
  for (const [name, backend, tol] of [['cpu', () => cpu, 1e-12], ['gpu', gpu, 1e-5]] as const) {
    it(`reference rows on ${name}`, async () => {
      const b = backend();
      await withT(b, [X, Y, Y2], async (x, y, y2) => {
        close(await minibatchCka(x!, y!, 6), 0.762524836924901, tol, 'mb(X,Y) batches of 6');
        close(await minibatchCka(x!, y!, 4), 0.9598433934377512, tol, 'mb(X,Y) batches of 4');
        close(await minibatchCka(x!, y2!, 6), 0.9671452380823345, tol, 'mb(X,Y2) batches of 6');
        close(await minibatchCka(x!, y2!, 12), 0.9143410448975974, tol, 'one batch = debiased CKA');
        close(await minibatchCka(x!, x!, 4), 1, tol, 'mb(X,X)');
      });
    });
  }

  it('accumulates across passes and layers; within-model matrix is symmetric with a unit diagonal', async () => {
    const acc = new MinibatchCka(['x', 'y', 'y2']);
    for (const idx of [range(0, 6), range(6, 12), [3, 7, 0, 11, 5, 1], [9, 2, 10, 4, 8, 6]]) {
      await withT(gpu(), [rows(X, idx), rows(Y, idx), rows(Y2, idx)], (x, y, y2) => acc.update([x!, y!, y2!]));
    }
    const r = acc.result();
    expect(r.batches).toBe(4);
    for (let i = 0; i < 3; i++) {
      close(r.values[i]![i]!, 1, 1e-6, 'diagonal');
      for (let j = 0; j < 3; j++) close(r.values[i]![j]!, r.values[j]![i]!, 1e-7, 'symmetry');
    }
    // The same sums on the CPU oracle, and the first two batches alone give the §1.8 value.
    const ref = new MinibatchCka(['x'], ['y']);
    for (const idx of [range(0, 6), range(6, 12)]) await withT(cpu, [rows(X, idx), rows(Y, idx)], (x, y) => ref.update([x!], [y!]));
    close(ref.result().values[0]![0]!, 0.762524836924901, 1e-12, 'cross accumulator');
    const s = acc.sums();
    const cref = new MinibatchCka(['x', 'y', 'y2']);
    for (const idx of [range(0, 6), range(6, 12), [3, 7, 0, 11, 5, 1], [9, 2, 10, 4, 8, 6]]) {
      await withT(cpu, [rows(X, idx), rows(Y, idx), rows(Y2, idx)], (x, y, y2) => cref.update([x!, y!, y2!]));
    }
    const cs = cref.sums();
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) close(s.cross[i]![j]!, cs.cross[i]![j]!, 1e-5, `sum ${i},${j}`);
  });

  it('marks dead layers (constant or all-zero features) as NaN and never divides by them', async () => {
    const zeros = X.map((r) => r.map(() => 0));
    const constant = X.map(() => [3.25, -1.5, 7]);
    for (const b of [cpu, gpu()]) {
      const acc = new MinibatchCka(['x', 'zero', 'const']);
      await withT(b, [X, zeros, constant], (x, z, c) => acc.update([x!, z!, c!]));
      const r = acc.result();
      expect(r.deadRows).toEqual([false, true, true]);
      expect(r.values[0]![0]).toBeCloseTo(1, 6);
      expect(r.values[0]![1]).toBeNaN();
      expect(r.values[2]![2]).toBeNaN();
      await withT(b, [X, constant], async (x, c) => {
        const v = await linearCka(x!, c!);
        expect(v.dead).toBe(true);
        expect(v.value).toBeNaN();
        const d = await debiasedCka(x!, c!, { form: 'feature' });
        expect(d.dead).toBe(true);
        const rb = await rbfCka(c!, x!);
        expect(rb.dead).toBe(true);
        expect(rb.value).toBeNaN();
      });
      expect(JSON.parse(ckaMatrixJson(r)).values[0][1]).toBeNull();
    }
  });
});

// ---- invariances (§1.7) -------------------------------------------------------------------

const givens = (i: number, j: number, th: number): number[][] => {
  const g: number[][] = Array.from({ length: 4 }, (_, r) => Array.from({ length: 4 }, (_, c) => (r === c ? 1 : 0)));
  g[i]![i] = Math.cos(th);
  g[j]![j] = Math.cos(th);
  g[i]![j] = -Math.sin(th);
  g[j]![i] = Math.sin(th);
  return g;
};
const mm = (a: number[][], b: number[][]): number[][] => a.map((r) => b[0]!.map((_, c) => r.reduce((s, v, k) => s + v * b[k]![c]!, 0)));
const Q = mm(mm(givens(0, 1, 0.7), givens(2, 3, -1.1)), givens(1, 2, 0.3));

type Est = [string, (x: Tensor, y: Tensor) => Promise<number>];
const estimators: Est[] = [
  ['linear gram', async (x, y) => (await linearCka(x, y, { form: 'gram' })).value],
  ['linear feature', async (x, y) => (await linearCka(x, y, { form: 'feature' })).value],
  ['debiased gram', async (x, y) => (await debiasedCka(x, y, { form: 'gram' })).value],
  ['debiased feature', async (x, y) => (await debiasedCka(x, y, { form: 'feature' })).value],
  ['rbf 0.5', async (x, y) => (await rbfCka(x, y, { threshold: 0.5 })).value],
  ['rbf 1.0 debiased', async (x, y) => (await rbfCka(x, y, { threshold: 1, debiased: true })).value],
  ['minibatch 6', (x, y) => minibatchCka(x, y, 6)],
];

describe('invariances and non-invariances (§1.7)', () => {
  const perm = [3, 7, 0, 11, 5, 1, 9, 2, 10, 4, 8, 6];
  const variants: [string, number[][], number[][]][] = [
    ['orthogonal Q', mm(X, Q), Y],
    ['isotropic scaling by -3.5', X.map((r) => r.map((v) => -3.5 * v)), Y],
    ['translation by 100', X.map((r) => r.map((v, j) => v + 100 + 10 * j)), Y],
  ];
  for (const [name, backend, tol] of [['cpu', () => cpu, 1e-12], ['gpu', gpu, 1e-5]] as const) {
    it(`every estimator on ${name}: self = 1, symmetric, invariant to Q, scaling, translation`, async () => {
      const b = backend();
      for (const [en, f] of estimators) {
        const base = await withT(b, [X, Y], (x, y) => f(x!, y!));
        await withT(b, [X, Y], async (x, y) => {
          close(await f(x!, x!), 1, tol, `${en}: CKA(X, X)`);
          close(await f(y!, y!), 1, tol, `${en}: CKA(Y, Y)`);
          close(await f(y!, x!), base, tol, `${en}: symmetry`);
        });
        for (const [vn, xv, yv] of variants) {
          // Translation by 100 costs digits in f32 storage itself (|x| ~ 130, ulp ~ 1e-5) and in
          // float64 only round-off (§1.7.5): a looser bound there.
          const t = vn.startsWith('translation') ? (name === 'cpu' ? 1e-9 : 2e-4) : tol;
          close(await withT(b, [xv, yv], (x, y) => f(x!, y!)), base, t, `${en}: ${vn}`);
        }
        // The same row permutation on both leaves full-batch estimators unchanged.
        if (!en.startsWith('minibatch')) close(await withT(b, [rows(X, perm), rows(Y, perm)], (x, y) => f(x!, y!)), base, tol, `${en}: shared permutation`);
      }
      close(await withT(b, [mm(X, Q), Y], async (x, y) => (await linearCka(x!, y!)).value), 0.11116066401267741, tol, 'CKA(XQ, Y) reference');
    });
  }

  it('not invariant to non-isotropic scaling or to permuting one side only', async () => {
    const scaled = X.map((r) => r.map((v, j) => (j === 0 ? 10 * v : v)));
    await withT(gpu(), [X, Y, scaled, rows(X, perm)], async (x, y, xs, xp) => {
      for (const [en, f] of estimators) {
        if (en.startsWith('minibatch')) continue;
        const base = await f(x!, y!);
        expect(Math.abs((await f(xs!, y!)) - base), `${en}: column scaling changes CKA`).toBeGreaterThan(1e-3);
        expect(Math.abs((await f(xp!, y!)) - base), `${en}: one-sided permutation changes CKA`).toBeGreaterThan(1e-3);
      }
    });
  });
});

// ---- statistics and numerics ----------------------------------------------------------------

describe('bias (§1.7.8) and the f32 offset demo (§1.9.1)', () => {
  it('debiased CKA of independent data is near 0; biased CKA is not', async () => {
    const rng = new Rng(8);
    let sumAbsD = 0;
    let sumB = 0;
    const trials = 20;
    for (let t = 0; t < trials; t++) {
      const x = tensor(rng.fillNormal(64 * 64), [64, 64]);
      const y = tensor(rng.fillNormal(64 * 64), [64, 64]);
      sumAbsD += Math.abs((await debiasedCka(x, y)).value);
      sumB += (await linearCka(x, y)).value;
      x.dispose();
      y.dispose();
    }
    expect(sumAbsD / trials).toBeLessThan(0.03);
    expect(sumB / trials).toBeGreaterThan(0.4);
  });

  it('a large common offset does not hurt the f32 GPU estimate (features are centred first)', async () => {
    const rng = new Rng(21);
    const n = 256;
    const base = rng.fillNormal(n * 64);
    const noise = rng.fillNormal(n * 32);
    const y0 = new Float64Array(n * 32).map((_, k) => base[Math.floor(k / 32) * 64 + (k % 32)]! + 0.8 * noise[k]!);
    const want = await withT(cpu, [], async () => {
      const x = tensor(base, [n, 64], { backend: cpu });
      const y = tensor(y0, [n, 32], { backend: cpu });
      const v = (await linearCka(x, y)).value;
      x.dispose();
      y.dispose();
      return v;
    });
    for (const c of [0, 10, 100, 1000]) {
      const x = tensor(base.map((v) => v + c), [n, 64]);
      const y = tensor(y0.map((v) => v + c), [n, 32]);
      for (const form of ['gram', 'feature'] as const) {
        const got = (await linearCka(x, y, { form })).value;
        // f32 storage of values near c already rounds them by ~c·6e-8; the error stays near that.
        expect(Math.abs(got - want), `offset ${c}, ${form} form: ${got} vs ${want}`).toBeLessThan(1e-5 + 2e-7 * c);
      }
      x.dispose();
      y.dispose();
    }
  });
});

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

// ---- feature capture -------------------------------------------------------------------------

/** A two-layer MLP with a 4-D intermediate output, built from existing ops. */
class TinyNet extends Module {
  constructor(readonly w1: Tensor, readonly w2: Tensor) {
    super();
  }
  protected override ownParameters(): [string, Tensor][] {
    return [['w1', this.w1], ['w2', this.w2]];
  }
  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    const at = (name: string): ForwardContext | undefined => (ctx ? { ...ctx, prefix: name } : undefined);
    const h = tap(at('fc1'), matmul(x, this.w1));
    const a = tap(at('relu1'), relu(h));
    const img = tap(at('view'), reshape(a, [x.shape[0]!, 2, 2, 3])); // a 4-D output: [B, C, H, W]
    const scaled = this.training ? mul(img, 0.5) : img; // eval mode must be used for features
    return tap(at('fc2'), matmul(reshape(scaled, [x.shape[0]!, 12]), this.w2));
  }
}

describe('feature capture and layer × layer CKA', () => {
  const rng = new Rng(5);
  const data = rng.fillNormal(64 * 6);
  const mk = (seed: number): TinyNet => {
    const r = new Rng(seed);
    return new TinyNet(tensor(r.fillNormal(6 * 12), [6, 12]), tensor(r.fillNormal(12 * 3), [12, 3])).train();
  };

  it('captures flattened (or pooled) per-layer outputs in eval mode, without leaks', () => {
    const net = mk(1);
    const x = tensor(data.subarray(0, 8 * 6), [8, 6]);
    const f = captureFeatures(net, x, { includeInput: true });
    expect([...f.keys()]).toEqual(['input', 'fc1', 'relu1', 'view', 'fc2']);
    expect(f.get('view')!.shape).toEqual([8, 12]);
    expect(net.training).toBe(true);
    for (const t of f.values()) t.dispose();
    const pooled = captureFeatures(net, x, { pool: true, layers: ['view', 'fc2'] });
    expect([...pooled.keys()]).toEqual(['view', 'fc2']);
    expect(pooled.get('view')!.shape).toEqual([8, 2]);
    for (const t of pooled.values()) t.dispose();
    expect(() => captureFeatures(net, x, { layers: ['nope'] })).toThrow(ValueError);
    x.dispose();
    net.dispose();
  });

  it('layerSimilarity within and across models equals minibatch CKA of the captured features', async () => {
    const a = mk(1);
    const b = mk(2);
    const batches = [0, 1, 2, 3].map((k) => tensor(data.subarray(k * 16 * 6, (k + 1) * 16 * 6), [16, 6]));
    const within = await layerSimilarity(a, null, batches);
    const across = await layerSimilarity(a, b, batches, { pool: true });
    expect(within.rows).toEqual(['fc1', 'relu1', 'view', 'fc2']);
    expect(within.batches).toBe(4);
    expect(within.values[1]![2]).toBeCloseTo(1, 5); // relu1 and its reshape are the same features
    // Reference: the eval-mode features computed directly on the CPU oracle, accumulated by hand.
    const ref = new MinibatchCka(['fc2'], ['fc2']);
    for (const xb of batches) {
      const xs = await xb.data();
      const hs = tidy(() => {
        const xc = tensor(xs, [16, 6], { backend: cpu });
        const w1 = tensor(new Rng(1).fillNormal(72), [6, 12], { backend: cpu });
        const w2 = tensor(new Rng(1).fillNormal(72 + 36).subarray(72), [12, 3], { backend: cpu });
        const w1b = tensor(new Rng(2).fillNormal(72), [6, 12], { backend: cpu });
        const w2b = tensor(new Rng(2).fillNormal(72 + 36).subarray(72), [12, 3], { backend: cpu });
        return [matmul(relu(matmul(xc, w1)), w2), matmul(relu(matmul(xc, w1b)), w2b)];
      });
      await ref.update([hs[0]!], [hs[1]!]);
      for (const h of hs) h.dispose();
    }
    close(across.values[3]![3]!, ref.result().values[0]![0]!, 1e-5, 'fc2 × fc2 across models');
    expect(across.cols).toEqual(['fc1', 'relu1', 'view', 'fc2']);
    expect(across.values.flat().every(Number.isFinite)).toBe(true);
    const svg = heatmapSvg(within, { title: within.estimator, rowLabel: 'model A', colLabel: 'model A' });
    expect(svg.startsWith('<svg')).toBe(true);
    for (const name of within.rows) expect(svg).toContain(`>${name}</text>`);
    expect(svg).toContain('<title>fc1 × fc2: ');
    expect(svg).toContain('linearGradient');
    for (const t of batches) t.dispose();
    a.dispose();
    b.dispose();
  });
});

describe('similarityFromMatrices and input errors', () => {
  it('reports every estimator for two plain matrices (float32 and float64)', async () => {
    const r = await similarityFromMatrices({ data: Float64Array.from(X.flat()), shape: [12, 4] }, { data: Float32Array.from(Y.flat()), shape: [12, 3] }, { batchSize: 6 });
    close(r.linear, 0.11116066401267746, 1e-5, 'linear');
    close(r.debiased, -0.027268838867027027, 1e-5, 'debiased');
    close(r.rbf['0.5'].biased, 0.5270415666195124, 1e-5, 'rbf 0.5');
    close(r.rbf['1.0'].debiased, 0.06329850968843188, 1e-5, 'rbf 1.0 debiased');
    close(r.minibatch.value, 0.762524836924901, 1e-5, 'minibatch');
    expect(r.minibatch.batches).toBe(2);
    expect(r.dead).toEqual({ A: false, B: false });
  });

  it('rejects bad inputs with clear errors before any GPU work', async () => {
    const a = { data: new Float32Array(12 * 4), shape: [12, 4] };
    await expect(similarityFromMatrices(a, { data: new Float32Array(10 * 3), shape: [10, 3] })).rejects.toThrow(/must be paired/);
    await expect(similarityFromMatrices(a, { data: new Float32Array([NaN, ...new Float32Array(35)]), shape: [12, 3] })).rejects.toThrow(/non-finite/);
    await expect(similarityFromMatrices(a, { data: new Float32Array(24), shape: [2, 3, 4] })).rejects.toThrow(ShapeError);
    await expect(similarityFromMatrices(a, a, { batchSize: 3 })).rejects.toThrow(/batchSize/);
    await withT(gpu(), [X, rows(Y, range(0, 10))], async (x, y) => {
      await expect(linearCka(x!, y!)).rejects.toThrow(/12 and 10 rows/);
    });
    const x3 = tensor(new Float32Array(24), [2, 3, 4]);
    await expect(linearCka(x3, x3)).rejects.toThrow(/2-D/);
    x3.dispose();
  });
});

import { fullMedian } from '../src/analysis/index.js';

describe('full-matrix median (§1.1)', () => {
  it('matches a sort-based median, odd and even counts, with ties and the diagonal zeros', () => {
    const rng = new Rng(3);
    for (const len of [1, 2, 3, 4, 9, 144, 1001, 4096]) {
      const v = Array.from(rng.fillUniform(len, 0, 5), (x, i) => (i % 7 === 0 ? 0 : Math.round(x * 4) / 4));
      const s = [...v].sort((a, b) => a - b);
      const want = len % 2 ? s[len >> 1]! : (s[(len >> 1) - 1]! + s[len >> 1]!) / 2;
      expect(fullMedian(v), `length ${len}`).toBe(want);
    }
  });

  it('uses all n² entries including the diagonal: 5.42215 on X of §1.8, not the off-diagonal 6.12249', () => {
    const d: number[] = [];
    for (const a of X) for (const b of X) d.push(a.reduce((s, v, j) => s + (v - b[j]!) ** 2, 0));
    expect(fullMedian(d)).toBeCloseTo(5.42215, 4);
  });
});

import { engine } from '../src/engine.js';
import * as hk from '../src/kernels/hsic.js';

describe('Gram kernel variants', () => {
  it('the plain and the subgroup kernels both match the oracle and are exactly symmetric', async () => {
    const rt = engine.runtime!;
    const variants: hk.GramVariant[] = (await hk.probeSubgroupGram(rt)) ? ['plain', 'subgroup'] : ['plain'];
    for (const variant of variants) {
      for (const [n, p] of [[1, 3], [9, 4], [33, 17], [70, 64], [97, 5], [130, 36]] as const) {
        const v = new Rng(n * 7 + p).fillNormal(n * p);
        const ld = Math.ceil(p / 4) * 4;
        const g = gpu();
        const xs = g.fromData(v, 'float32');
        const xc = g.centerColumns(xs, n, p);
        const k = hk.gram(rt, xc, n, ld, variant);
        const got = (await g.read(k, n * n, 'float32')) as Float32Array;
        for (const s of [xs, xc, k]) g.free(s);
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
    if (rt.adapter.description.includes('llvmpipe')) expect(variants).toContain('subgroup');
  });
});

import { blockScore, longRangeSimilarity } from '../src/analysis/summary.js';

describe('matrix summaries (§5.1)', () => {
  it('long-range similarity and block score, skipping dead (NaN) entries', () => {
    const m = [
      [1, 0.9, 0.2, 0.1],
      [0.9, 1, 0.3, NaN],
      [0.2, 0.3, 1, 0.8],
      [0.1, NaN, 0.8, 1],
    ];
    // |i − j| ≥ 2: (0,2) (0,3) (1,3) and mirrors; NaN left out.
    expect(longRangeSimilarity(m)).toBeCloseTo((0.2 + 0.1 + 0.2 + 0.1) / 4, 12);
    expect(blockScore(m, [2])).toBeCloseTo((0.9 + 0.9 + 0.8 + 0.8) / 4 - (0.2 + 0.3 + 0.1 + 0.2 + 0.3 + 0.1) / 6, 12);
    expect(() => longRangeSimilarity([[1, 2]])).toThrow(/square/);
  });
});
