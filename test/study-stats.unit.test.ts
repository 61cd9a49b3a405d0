// The study's statistics (src/study/stats.ts) against values computed with scipy 1.10 / numpy 1.24
// (/usr/bin/python3; the literals below were printed by scipy.stats and numpy, not by this code) and
// against closed forms derived by hand. GPU-free: nothing here touches WebGPU.
import { describe, expect, it } from 'vitest';
import {
  hierarchicalBootstrap, incompleteBeta, RankOrder, spearmanOfDraw, logGamma, mean, normalQuantile, pearson, quantileSorted, sd, slope, spearman,
  studentTCdf, studentTQuantile, tiedRanks, tInterval, trendOverSeeds, wilsonInterval, type Draw,
} from '../src/study/stats.js';

describe('mean and sd', () => {
  it('return NaN, never 0, for empty and all-NaN input', () => {
    for (const xs of [[], [NaN], [NaN, NaN, Infinity]]) {
      expect(mean(xs)).toBeNaN();
      expect(sd(xs)).toBeNaN();
    }
    expect(sd([3])).toBeNaN(); // one value has no spread
  });
  it('ignore non-finite entries and agree with numpy', () => {
    expect(mean([0.12, 0.31, NaN, 0.05, 0.22, 0.18])).toBeCloseTo(0.176, 14);
    expect(sd([0.12, 0.31, 0.05, NaN, 0.22, 0.18])).toBeCloseTo(0.09864076236526156, 14); // np.std(ddof=1)
  });
  it('quantiles interpolate like numpy.percentile', () => {
    const s = Float64Array.from([5, 1, 9, 3, 7, 2]).sort();
    expect([0.025, 0.5, 0.975, 0.31].map((p) => quantileSorted(s, p))).toEqual([1.125, 4, 8.75, 2.55].map((v) => expect.closeTo(v, 12)));
    expect(quantileSorted(new Float64Array(0), 0.5)).toBeNaN();
  });
});

describe('distributions', () => {
  it('log-gamma and the incomplete beta match scipy.special', () => {
    for (const [x, v] of [[0.1, 2.252712651734206], [0.5, 0.5723649429247], [1, 0], [3.7, 1.428072326665388], [50.25, 145.5418715963321]] as const) {
      expect(logGamma(x)).toBeCloseTo(v, 12);
    }
    expect(incompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 14);
    expect(incompleteBeta(0.9, 0.5, 7.5)).toBeCloseTo(0.9999999932897103, 14);
    expect(incompleteBeta(0.01, 10, 0.5) / 1.7700349655285743e-21).toBeCloseTo(1, 10);
    expect(incompleteBeta(1.5, 1, 1)).toBeNaN();
  });

  it('the Student-t quantile matches scipy.stats.t.ppf for df 1..30 and beyond', () => {
    const table: [number, number[]][] = [
      [1, [3.0776835372078066, 12.706204736432095, 63.65674116287399, 636.6192494318557]],
      [2, [1.8856180831641507, 4.302652729911275, 9.92484320091807, 31.599054577041514]],
      [3, [1.637744357215907, 3.182446305284263, 5.84090929975643, 12.923978636637424]],
      [4, [1.533206273713144, 2.7764451051977987, 4.604094871415897, 8.610301581379899]],
      [5, [1.4758840487820273, 2.5705818366147395, 4.032142983557536, 6.868826639865215]],
      [7, [1.4149239276488585, 2.3646242510102993, 3.4994832973505026, 5.407882520977668]],
      [10, [1.3721836411102863, 2.2281388519649385, 3.169272667175838, 4.586893858703131]],
      [15, [1.3406056078504547, 2.131449545559323, 2.946712883338615, 4.0727651959038464]],
      [20, [1.3253407069850462, 2.0859634472658364, 2.845339709776814, 3.849516272984231]],
      [30, [1.3104150225671307, 2.0422724563012373, 2.7499956535670305, 3.6459586349971502]],
    ];
    for (const [df, qs] of table) {
      // scipy's own ppf is accurate to about 1e-9 relative (at df = 1, p = 0.9995 it is 1e-9 off the closed form below).
      [0.9, 0.975, 0.995, 0.9995].forEach((p, i) => expect(studentTQuantile(p, df) / qs[i]!).toBeCloseTo(1, 8));
    }
    // Closed forms: df = 1 (Cauchy) t = tan(π(p − ½)); df = 2: t = (2p − 1)/√(2p(1 − p)).
    for (const p of [0.6, 0.9, 0.975, 0.9995]) {
      expect(studentTQuantile(p, 1) / Math.tan(Math.PI * (p - 0.5))).toBeCloseTo(1, 12);
      expect(studentTQuantile(p, 2) / ((2 * p - 1) / Math.sqrt(2 * p * (1 - p)))).toBeCloseTo(1, 12);
    }
    for (const [p, df, v] of [[0.975, 2.5, 3.5746548420118773], [0.975, 45, 2.0141033848332923], [0.975, 1000, 1.9623390808264074],
      [0.025, 3, -3.1824463052842638], [0.6, 8, 0.26192109674883074], [1e-6, 4, -41.577854150453575]] as const) {
      expect(studentTQuantile(p, df) / v).toBeCloseTo(1, 8);
      expect(studentTCdf(studentTQuantile(p, df), df) / p).toBeCloseTo(1, 13);
    }
    expect(studentTQuantile(0.5, 3)).toBe(0);
    expect(studentTQuantile(1, 3)).toBeNaN();
    expect(studentTQuantile(0.975, 0)).toBeNaN();
  });

  it('the Student-t CDF matches scipy.stats.t.cdf', () => {
    for (const [t, df, v] of [[0.3, 1, 0.5927735790777423], [-2.1, 3, 0.06328260127484227], [4.0, 10, 0.9987408336876317],
      [12.0, 2, 0.9965635331614208], [-0.7, 29.5, 0.24470562073492963]] as const) {
      expect(studentTCdf(t, df)).toBeCloseTo(v, 13);
    }
  });

  it('the normal quantile matches scipy.stats.norm.ppf', () => {
    for (const [p, v] of [[0.975, 1.959963984540054], [0.01, -2.3263478740408408], [1e-10, -6.361340902404056], [0.999999, 4.753424308817087]] as const) {
      expect(normalQuantile(p) / v).toBeCloseTo(1, 13);
    }
    expect(normalQuantile(0.5 + 1e-9) / 2.5066282037387115e-9).toBeCloseTo(1, 6);
    expect(normalQuantile(0)).toBe(-Infinity);
  });
});

describe('intervals', () => {
  it('the t interval over seeds matches scipy.stats.t.interval, and needs two values', () => {
    const r = tInterval([0.12, 0.31, 0.05, 0.22, 0.18]);
    expect([r.estimate, r.lo, r.hi, r.n]).toEqual([expect.closeTo(0.176, 14), expect.closeTo(0.05352131661568171, 12), expect.closeTo(0.29847868338431827, 12), 5]);
    const one = tInterval([0.4, NaN]);
    expect(one.estimate).toBeCloseTo(0.4, 14);
    expect(one.lo).toBeNaN();
    expect(one.hi).toBeNaN();
    expect(tInterval([NaN, NaN]).estimate).toBeNaN();
  });

  it('Wilson intervals match scipy.stats.binomtest(...).proportion_ci(method="wilson")', () => {
    const cases: [number, number, number, number][] = [
      [0, 10, 0, 0.27753279986288926], [5, 10, 0.236593090512564, 0.7634069094874361], [10, 10, 0.7224672001371109, 1],
      [37, 128, 0.21758399767802578, 0.3728331557498606], [1, 3, 0.06149194472039626, 0.7923403991979523],
    ];
    for (const [k, n, lo, hi] of cases) {
      const w = wilsonInterval(k, n);
      expect(w.lo).toBeCloseTo(lo, 12);
      expect(w.hi).toBeCloseTo(hi, 12);
    }
    expect(() => wilsonInterval(3, 2)).toThrow(/0 <= k <= n/);
    expect(() => wilsonInterval(0.5, 2)).toThrow(/integers/);
  });
});

describe('the two-stage bootstrap over seeds × examples', () => {
  const groups = [[1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 5, 9, 1, 0, 3], [10, 12, 9, 11, 13, 8, 10, 12, 11]];
  const meanOfSeedMeans = (draws: readonly Draw[]) => mean(draws.map((d) => mean(Array.from(d.idx[0]!, (i) => groups[d.group]![i]!))));
  const sizes = groups.map((g) => [g.length]);

  it('is seeded, returns the plain statistic as its estimate, and brackets it', () => {
    const a = hierarchicalBootstrap(sizes, meanOfSeedMeans, { seed: 7, replicates: 500 });
    const b = hierarchicalBootstrap(sizes, meanOfSeedMeans, { seed: 7, replicates: 500 });
    expect(a).toEqual(b);
    expect(a.estimate).toBeCloseTo(mean(groups.map(mean)), 14);
    expect(a.lo).toBeLessThan(a.estimate);
    expect(a.hi).toBeGreaterThan(a.estimate);
    expect([a.n, a.replicates, a.finite]).toEqual([3, 500, 500]);
    expect(hierarchicalBootstrap(sizes, meanOfSeedMeans, { seed: 8, replicates: 500 }).lo).not.toBe(a.lo);
  });

  it('has the spread of the two-stage resampling, derived by hand', () => {
    // T = (1/S) Σ_k X_k with X_k the resampled mean of a uniformly drawn seed G:
    // Var X = Var_G(m_G) + E_G[σ²_G / n_G] (σ² the population variance), so Var T = Var X / S.
    const S = groups.length;
    const m = groups.map(mean);
    const pop = (g: number[]) => mean(g.map((v) => (v - mean(g)) ** 2));
    const varX = mean(m.map((v) => (v - mean(m)) ** 2)) + mean(groups.map((g) => pop(g) / g.length));
    const expected = Math.sqrt(varX / S);
    // The replicate values themselves: a statistic that records them.
    const seen: number[] = [];
    hierarchicalBootstrap(sizes, (d) => {
      const v = meanOfSeedMeans(d);
      seen.push(v);
      return v;
    }, { seed: 3, replicates: 8000 });
    seen.shift(); // the first call is the estimate on the data as they are
    expect(sd(seen) / expected).toBeCloseTo(1, 1); // within 5%: 8000 replicates
  });

  it('reduces to the ordinary percentile bootstrap with one seed (≈ mean ± 1.96·sd/√n for a large sample)', () => {
    const xs = Array.from({ length: 400 }, (_, i) => Math.sin(i * 12.9898) * 3 + (i % 7));
    const r = hierarchicalBootstrap([[xs.length]], (d) => mean(Array.from(d[0]!.idx[0]!, (i) => xs[i]!)), { seed: 11, replicates: 4000 });
    const half = (1.959963984540054 * sd(xs)) / Math.sqrt(xs.length);
    expect((r.hi - r.lo) / (2 * half)).toBeCloseTo(1, 1);
  });

  it('gives NaN bounds when the statistic is undefined in more than 5% of the replicates', () => {
    const r = hierarchicalBootstrap([[3], [3]], (d) => (d.every((x) => x.group === 0) ? 1 : NaN), { seed: 1, replicates: 200 });
    expect(r.lo).toBeNaN();
    expect(r.hi).toBeNaN();
    expect(r.finite).toBeLessThan(190);
    expect(hierarchicalBootstrap([], () => 1, { seed: 1 }).estimate).toBeNaN();
  });

  it('resamples the samples of a seed independently of each other', () => {
    // Two samples per seed: a difference of means has the variance of both, not of a pairing.
    const a = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const b = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const seen: number[] = [];
    hierarchicalBootstrap([[300, 200]], (d) => {
      const v = mean(Array.from(d[0]!.idx[0]!, (i) => a[i]!)) - mean(Array.from(d[0]!.idx[1]!, (i) => b[i]!));
      seen.push(v);
      return v;
    }, { seed: 5, replicates: 6000 });
    seen.shift();
    const pa = 1 / 3;
    expect(sd(seen) / Math.sqrt((pa * (1 - pa)) / 300 + 0.25 / 200)).toBeCloseTo(1, 1);
    expect(() => hierarchicalBootstrap([[2.5]], () => 1, { seed: 1 })).toThrow(/integers >= 0/);
  });
});

describe('correlation and trend', () => {
  const a = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
  const b = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4];
  it('ranks ties like scipy.stats.rankdata and computes Spearman like scipy.stats.spearmanr', () => {
    expect(Array.from(tiedRanks(a))).toEqual([4.5, 1.5, 6, 1.5, 8, 11, 3, 10, 8, 4.5, 8]);
    expect(spearman(a, b)).toBeCloseTo(0.1384567651467695, 13);
    expect(spearman([1, 2, 3], [1, NaN, 3])).toBeNaN();
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN(); // a constant sample has no ranking
    expect(pearson([1, 2, 3], [2, 4, 6.5])).toBeCloseTo(0.9979487157886733, 12); // scipy.stats.pearsonr
    expect(() => spearman([1, 2], [1])).toThrow(/different lengths/);
  });
  it('ranks a bootstrap resample in O(n) exactly as Spearman of the resampled values, ties included', () => {
    const ra = new RankOrder(a);
    const rb = new RankOrder(b);
    const draws = [[0, 0, 3, 5, 5, 5, 9, 10, 2, 2, 7], [1, 3, 1, 3, 1, 3, 1, 3, 4, 4, 6], Array.from({ length: 11 }, (_, i) => i)];
    for (const d of draws) {
      const idx = Int32Array.from(d);
      expect(spearmanOfDraw(ra, rb, idx)).toBeCloseTo(spearman(d.map((i) => a[i]!), d.map((i) => b[i]!)), 13);
    }
    expect(spearmanOfDraw(ra, rb, Int32Array.from([3, 3, 3]))).toBeNaN(); // one example drawn three times: no ranking
    expect(spearmanOfDraw(new RankOrder([1, NaN, 2]), new RankOrder([1, 2, 3]), Int32Array.from([0, 2]))).toBeNaN();
  });
  it('fits slopes like numpy.polyfit and tests a ladder with a t interval over the seeds\' slopes', () => {
    const x = [0, 0.25, 0.5, 1];
    expect(slope(x, [4.1, 3.6, 3.3, 2.2])).toBeCloseTo(-1.8742857142857143, 13);
    expect(slope([1, 1], [2, 3])).toBeNaN();
    const t = trendOverSeeds(x, [[4.1, 3.6, 3.3, 2.2], [4.0, 3.7, 3.1, 2.4], [4.3, 3.5, 3.4, 2.0]]);
    expect(t.slopes.length).toBe(3);
    expect(t.estimate).toBeCloseTo(mean(t.slopes), 14);
    expect(t.hi).toBeLessThan(0);
  });
});
