import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { cpu } from '../src/node.js';
import * as L from '../src/analysis/logits.js';
import * as D from '../src/analysis/distill.js';
import * as T from '../src/train/distill.js';
import { expectClose, randomValues } from './helpers/oracle.js';
import { TinyLinear, TinySgd } from './helpers/tiny.js';

/** Statistics on the GPU and on the float64 oracle, as [B, 7] host arrays. */
async function both(z: number[] | Float64Array, shape: [number, number], labels?: number[]) {
  const out: Float64Array[] = [];
  for (const backend of [rl.getBackend(), cpu]) {
    const t = rl.tensor(z, shape, { backend });
    const s = L.logitStatistics(t, labels);
    out.push(Float64Array.from(await s.data()));
    t.dispose();
    s.dispose();
  }
  return { gpu: out[0]!, ref: out[1]! };
}

describe('logit statistics: GPU kernel against the float64 oracle', () => {
  it('reproduces the methods §2.6 values (max 0.472, gap 0.666, margin −1.072)', async () => {
    const { gpu, ref } = await both([-0.6, 0.472, -0.194], [1, 3], [0]);
    for (const s of [gpu, ref]) {
      expect(s[0]).toBeCloseTo(0.472, 6);
      expect(s[1]).toBeCloseTo(0.666, 6);
      expect(s[2]).toBeCloseTo(0.472 - (-0.6 + 0.472 - 0.194) / 3, 6);
      expect(s[3]).toBeCloseTo(0.5387691, 6); // p from §2.6
      const p = [0.18443315, 0.5387691, 0.27679775];
      expect(s[4]).toBeCloseTo(-p.reduce((a, q) => a + q * Math.log(q), 0), 6);
      expect(s[5]).toBeCloseTo(-1.072, 6);
      expect(s[6]).toBe(1);
    }
  });

  it('ties, equal logits and a single class follow the documented conventions', async () => {
    // Row 0: tied maxima → gap 0, argmax first. Row 1: all equal → conf 1/C, entropy log C.
    const { gpu, ref } = await both([1, 3, 3, -2, 2, 2, 2, 2], [2, 4], [2, 0]);
    expectClose(gpu, ref, { atol: 1e-6 }, 'ties');
    expect(ref[1]).toBe(0);
    expect(ref[6]).toBe(1);
    expect(ref[5]).toBe(0); // label 2 ties with the max: margin 0
    expect(ref[8]).toBe(0);
    expect(ref[10]).toBeCloseTo(0.25, 12);
    expect(ref[11]).toBeCloseTo(Math.log(4), 12);
    expect(ref[13]).toBe(0);
    const one = await both([3, -1], [2, 1], [0, 0]);
    expectClose(one.gpu, one.ref, { atol: 1e-6 }, 'one class');
    expect(Array.from(one.ref.slice(0, 7))).toEqual([3, 0, 0, 1, 0, 0, 0]);
  });

  it('random logits of awkward shapes, with and without labels, and huge logits stay finite', async () => {
    for (const [B, C] of [[1, 2], [37, 10], [5, 13], [130, 3]] as [number, number][]) {
      const z = randomValues([B, C], B * C, -4, 4);
      const y = Array.from({ length: B }, (_, i) => (i * 7) % C);
      const a = await both(z, [B, C], y);
      expectClose(a.gpu, a.ref, { rtol: 1e-5, atol: 2e-5 }, `stats ${B}x${C}`);
      const b = await both(z, [B, C]);
      expectClose(b.gpu, b.ref, { rtol: 1e-5, atol: 2e-5 }, `stats ${B}x${C} no labels`);
    }
    const big = await both([1000, -1000, 999, 0], [1, 4], [3]);
    expectClose(big.gpu, big.ref, { rtol: 1e-6, atol: 1e-4 }, 'huge logits');
    expect(big.ref[1]).toBe(1);
    expect(big.ref[5]).toBe(-1000);
  });

  it('rejects bad labels and shapes before any GPU work', () => {
    const z = rl.zeros([2, 3]);
    expect(() => L.logitStatistics(z, [0, 3])).toThrow(/outside \[0, 3\)/);
    expect(() => L.logitStatistics(z, [0])).toThrow(/1 labels for 2 rows/);
    const v = rl.zeros([6]);
    expect(() => L.logitStatistics(v)).toThrow(rl.ShapeError);
    z.dispose();
    v.dispose();
  });

  it('non-finite logits are reported when the statistics are read back', async () => {
    // The suite's global NaN check would fire first; this test is about readLogitStats' own report.
    rl.setNumericsCheck(false);
    try {
      for (const backend of [rl.getBackend(), cpu]) {
        const z = rl.tensor([1, 2, 0, 1, Number.NaN, 0], [2, 3], { backend });
        await expect(L.readLogitStats(z, [0, 1])).rejects.toThrow(/row 1 .*NaN or Inf/);
        z.dispose();
      }
    } finally {
      rl.setNumericsCheck(true);
    }
  });

  it('collects per-example statistics from a model over batches', async () => {
    // The §2.6 linear model: z = W x + b, as x·Wᵀ + b.
    const W = [[0.5, -1.0, 0.2, 0.0], [-0.3, 0.8, 0.0, 0.6], [0.1, 0.1, -0.7, -0.2]];
    const model = new TinyLinear(rl.tensor([0, 1, 2, 3].map((i) => W.map((r) => r[i]!))), rl.tensor([0.1, -0.2, 0.05]));
    const xa = rl.tensor([0.2, 0.9, 0.5, 0.02, 1, 0, 0, 0], [2, 4]);
    const xb = rl.tensor([0, 0, 1, 0], [1, 4]);
    const t = await L.collectLogitStats(model, [{ x: xa, y: Int32Array.of(0, 0), idx: Int32Array.of(0, 1) }, { x: xb, y: Int32Array.of(2), idx: Int32Array.of(2) }]);
    expect(t.n).toBe(3);
    expect(t.maxLogit[0]).toBeCloseTo(0.472, 5);
    expect(t.margin![0]).toBeCloseTo(-1.072, 5);
    expect(Array.from(t.pred)).toEqual([1, 0, 0]); // [0.6, −0.5, 0.15]; [0.3, −0.2, −0.65]
    expect(Array.from(t.correct!)).toEqual([0, 1, 0]);
    const s = L.summarize(t);
    expect(s.maxLogit!.correct!.n).toBe(1);
    expect(s.maxLogit!.correct!.mean).toBeCloseTo(0.6, 5);
    expect(s.maxLogit!.incorrect!.median).toBeCloseTo((0.472 + 0.3) / 2, 5);
    for (const x of [xa, xb]) x.dispose();
    model.dispose();
  });
});

describe('summaries, histograms and rank comparison (host float64)', () => {
  it('summary statistics', () => {
    const s = L.summary([3, 1, 4, 1, 5]);
    expect(s).toMatchObject({ n: 5, mean: 2.8, median: 3, min: 1, max: 5 });
    expect(L.summary([1, 2, 3, 10]).median).toBe(2.5);
  });

  it('shared bins cover both models and histogram counts sum to n', () => {
    const a = [0, 0.5, 1, 1.5];
    const b = [2, 3, 4];
    const edges = L.sharedBins([a, b], 4);
    expect(edges).toEqual([0, 1, 2, 3, 4]);
    expect(L.histogram(a, edges)).toEqual([2, 2, 0, 0]);
    expect(L.histogram(b, edges)).toEqual([0, 0, 1, 2]); // the right edge belongs to the last bin
    expect(() => L.sharedBins([[NaN]])).toThrow(/not finite/);
  });

  it('percentile ranks, Spearman with ties, top-k overlaps and the extreme disagreements', () => {
    expect(Array.from(L.percentileRanks([3, 1, 2, 2]))).toEqual([0.875, 0.125, 0.5, 0.5]);
    expect(L.spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12); // 1 − 6·2/(4·15)
    expect(L.spearman([1, 2, 3], [30, 20, 10])).toBeCloseTo(-1, 12);
    // Ties: ranks a = [1.5, 1.5, 3, 4], b = [1, 2, 3, 4]; Pearson by hand = 0.9486833
    expect(L.spearman([5, 5, 6, 7], [1, 2, 3, 4])).toBeCloseTo(3 / Math.sqrt(10), 12);
    const a = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
    const b = [0.1, 0.8, 0.7, 0.6, 0.5, 0.95];
    const c = L.compareConfidence(a, b, { k: 2, show: 1 });
    expect(c.topOverlap).toBe(0.5); // {0,1} vs {5,1}
    expect(c.bottomOverlap).toBe(0.5); // {5,4} vs {0,4}
    expect(c.aOverB[0]!.index).toBe(0);
    expect(c.bOverA[0]!.index).toBe(5);
    expect(c.spearman).toBeCloseTo(L.spearman(a, b), 12);
  });
});

describe('distillation', () => {
  const rows = 6;
  const C = 5;
  const z = randomValues([rows, C], 11, -3, 3);
  const argmaxOf = (v: ArrayLike<number>, i: number) => {
    let best = 0;
    for (let j = 1; j < C; j++) if (v[i * C + j]! > v[i * C + best]!) best = j;
    return best;
  };
  const rowOf = (v: ArrayLike<number>, i: number) => Array.from(v).slice(i * C, (i + 1) * C);
  const sm = (r: number[]) => {
    const m = Math.max(...r);
    const e = r.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };

  it('every manipulation keeps the argmax; shuffle and flatten keep the max logit', () => {
    for (const kind of D.MANIPULATIONS) {
      const m = D.manipulateRows(z, rows, C, kind, { seed: 3 });
      for (let i = 0; i < rows; i++) {
        expect(argmaxOf(m, i), `${kind} row ${i}`).toBe(argmaxOf(z, i));
        if (kind !== 'swapConfidence') expect(Math.max(...rowOf(m, i))).toBe(Math.max(...rowOf(z, i)));
      }
    }
  });

  it('shuffle keeps the multiset and changes the order; flatten(logsumexp) keeps the confidence', () => {
    const s = D.manipulateRows(z, rows, C, 'shuffleNonMax', { seed: 3 });
    let moved = 0;
    for (let i = 0; i < rows; i++) {
      expect(rowOf(s, i).sort()).toEqual(rowOf(z, i).sort());
      moved += +(rowOf(s, i).join() !== rowOf(z, i).join());
    }
    expect(moved).toBeGreaterThan(0);
    expect(Array.from(D.manipulateRows(z, rows, C, 'shuffleNonMax', { seed: 3 }))).toEqual(Array.from(s)); // seeded
    const f = D.manipulateRows(z, rows, C, 'flattenNonMax', { flatten: 'logsumexp' });
    const fm = D.manipulateRows(z, rows, C, 'flattenNonMax');
    for (let i = 0; i < rows; i++) {
      expect(Math.max(...sm(rowOf(f, i)))).toBeCloseTo(Math.max(...sm(rowOf(z, i))), 12);
      const others = rowOf(fm, i).filter((_, j) => j !== argmaxOf(z, i));
      const want = rowOf(z, i).filter((_, j) => j !== argmaxOf(z, i)).reduce((a, b) => a + b, 0) / (C - 1);
      for (const v of others) expect(v).toBeCloseTo(want, 12);
    }
  });

  it('confidence swap keeps each row’s class ordering and takes another row’s values', () => {
    const w = D.manipulateRows(z, rows, C, 'swapConfidence', { seed: 5 });
    const order = (r: number[]) => r.map((_, j) => j).sort((a, b) => r[b]! - r[a]!);
    const sortedRows = Array.from({ length: rows }, (_, i) => rowOf(z, i).sort().join());
    for (let i = 0; i < rows; i++) {
      expect(order(rowOf(w, i))).toEqual(order(rowOf(z, i)));
      const src = sortedRows.indexOf(rowOf(w, i).sort().join());
      expect(src).toBeGreaterThanOrEqual(0);
      expect(src).not.toBe(i);
    }
    // Class profile: rows with the same argmax get the same sorted values (their class mean).
    const p = D.manipulateRows(z, rows, C, 'swapConfidence', { swap: 'classProfile' });
    for (let i = 0; i < rows; i++) {
      expect(order(rowOf(p, i))).toEqual(order(rowOf(z, i)));
      const same = Array.from({ length: rows }, (_, j) => j).filter((j) => argmaxOf(z, j) === argmaxOf(z, i));
      const want = rowOf(z, same[0]!).map((_, r) => same.reduce((a, j) => a + rowOf(z, j).sort((u, v) => v - u)[r]!, 0) / same.length);
      expectClose(rowOf(p, i).sort((u, v) => v - u), want, { rtol: 1e-12, atol: 1e-12 }, `profile row ${i}`);
    }
  });

  it('the distillation loss matches the oracle and finite differences', async () => {
    const { checkOp } = await import('./helpers/oracle.js');
    await checkOp('distillLoss T=3 α=0.5', (s, t) => T.distillLoss(s, t, [0, 2, 1, 4], { temperature: 3, alpha: 0.5 }), [{ shape: [4, 5] }, { shape: [4, 5], grad: false }]);
    // T² scaling: with T = 1 and identical logits the loss is 0.
    const a = rl.tensor(z, [rows, C]);
    const l = T.distillLoss(a, a, undefined, { temperature: 1 });
    expect(Math.abs(await l.item())).toBeLessThan(1e-6);
    a.dispose();
    l.dispose();
  });

  it('a student distilled from a teacher on clean inputs comes to agree with it', async () => {
    const D_IN = 8;
    const teacher = TinyLinear.seeded(D_IN, C, 21, 1);
    const student = TinyLinear.seeded(D_IN, C, 99, 0.05);
    const xs = Array.from({ length: 4 }, (_, i) => rl.rand([16, D_IN], 100 + i, { lo: -1, hi: 1 }));
    const agree = async () => {
      let n = 0;
      for (const x of xs) {
        const [pt, ps] = rl.tidy(() => [rl.argmax(rl.noGrad(() => teacher.forward(x)), 1), rl.argmax(rl.noGrad(() => student.forward(x)), 1)]);
        const [a, b] = [await pt.data(), await ps.data()];
        for (let i = 0; i < a.length; i++) n += +(a[i] === b[i]);
        pt.dispose();
        ps.dispose();
      }
      return n / 64;
    };
    const before = await agree();
    const batches = Array.from({ length: 60 }, (_, s) => ({ x: xs[s % 4]! }));
    const r = await T.distill(student, D.teacherLogits(teacher, 'shuffleNonMax', { seed: 1 }), new TinySgd(0.5), batches, { temperature: 2, logEvery: 59 });
    expect(r.steps).toBe(60);
    expect(r.losses[1]!.loss).toBeLessThan(r.losses[0]!.loss);
    const after = await agree();
    expect(after).toBeGreaterThan(Math.max(before, 0.8));
    for (const x of xs) x.dispose();
    teacher.dispose();
    student.dispose();
  });
});
