// Layer × layer CKA: the minibatch accumulator across passes and layers, dead layers, feature capture
// from a model and layerSimilarity (within and across models), the JSON and SVG outputs of a CKA
// matrix, and its scalar summaries (methods.md §1.6, §5.1).
import { describe, expect, it } from 'vitest';
import { cpu, tensor, matmul, mul, relu, reshape, tidy, Rng, type Tensor } from '../src/node.js';
import { debiasedCka, linearCka, rbfCka } from '../src/analysis/cka.js';
import { MinibatchCka } from '../src/analysis/minibatch.js';
import { captureFeatures, layerSimilarity } from '../src/analysis/features.js';
import { ckaMatrixJson } from '../src/analysis/output.js';
import { heatmapSvg } from '../src/report/heatmap.js';
import { blockScore, longRangeSimilarity } from '../src/analysis/summary.js';
import { Module, tap, type ForwardContext } from '../src/nn/module.js';
import { ValueError } from '../src/errors.js';
import { T, X, Y, Y2, close, gpu, range, rows, withT } from './helpers/cka-data.js';

describe('minibatch CKA accumulator (§1.6)', () => {
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

  it('overlapping updates (as layerSimilarity queues them) add the same sums, bit for bit, as updates awaited one by one', async () => {
    const batches = [range(0, 6), range(6, 12), [3, 7, 0, 11, 5, 1, 2], [9, 2, 10, 4, 8]];
    const feats = batches.map((idx) => [X, Y, Y2].map((m) => T(rows(m, idx), gpu())));
    const one = new MinibatchCka(['x', 'y', 'y2']);
    for (const f of feats) await one.update(f);
    const all = new MinibatchCka(['x', 'y', 'y2']);
    await Promise.all(feats.map((f) => all.update(f)));
    for (const f of feats) for (const t of f) t.dispose();
    expect(all.sums()).toEqual(one.sums());
    expect(all.result()).toEqual(one.result());
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
