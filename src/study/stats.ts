/**
 * The study's statistics, in plain float64 TypeScript (no tensors, no GPU): descriptive summaries that
 * never turn "no data" into 0, the Student-t interval over seeds, a seeded two-stage bootstrap over
 * seeds × examples, the Wilson interval for proportions, Spearman's ρ with ties, and the per-seed
 * slope used as the trend test of a ladder. Every function is checked against scipy/numpy values in
 * test/study-stats.test.ts.
 */
import { ValueError } from '../errors.js';
import { Rng } from '../random.js';

const finite = (xs: readonly number[]): number[] => xs.filter(Number.isFinite);

/** Mean of the finite values; NaN when there are none (an empty or all-NaN list is not 0). */
export function mean(xs: readonly number[]): number {
  const f = finite(xs);
  return f.length === 0 ? NaN : f.reduce((a, b) => a + b, 0) / f.length;
}

/** Sample standard deviation (n − 1) of the finite values; NaN with fewer than two. */
export function sd(xs: readonly number[]): number {
  const f = finite(xs);
  if (f.length < 2) return NaN;
  const m = f.reduce((a, b) => a + b, 0) / f.length;
  return Math.sqrt(f.reduce((a, b) => a + (b - m) ** 2, 0) / (f.length - 1));
}

/** The p-quantile of sorted values with linear interpolation (numpy's default, "type 7"). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0 || !(p >= 0 && p <= 1)) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

// ---- distributions ------------------------------------------------------------------------------

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms: about 15 significant digits). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x); // reflection
  const z = x - 1;
  let a = c[0]!;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes §6.4). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    for (const num of [(m * (b - m) * x) / ((a + m2 - 1) * (a + m2)), (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-16) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1) || !(a > 0 && b > 0)) return NaN;
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast for x < (a + 1)/(a + b + 2); otherwise use I_x(a, b) = 1 − I_{1−x}(b, a).
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T > t) for t ≥ 0, T ~ Student t with df degrees of freedom (computed in the tail, no 1 − p loss). */
function tUpperTail(t: number, df: number): number {
  return 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The Student-t CDF P(T ≤ t). */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  return t >= 0 ? 1 - tUpperTail(t, df) : tUpperTail(-t, df);
}

/**
 * The Student-t quantile: the t with P(T ≤ t) = p, by bisection on the tail probability (monotone,
 * 200 halvings reach double precision); any df > 0, integer or not.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  const q = p > 0.5 ? 1 - p : p; // the tail probability beyond |t|
  let hi = 1;
  while (tUpperTail(hi, df) > q) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tUpperTail(mid, df) > q) lo = mid;
    else hi = mid;
  }
  const t = (lo + hi) / 2;
  return p > 0.5 ? t : -t;
}

/** The standard normal quantile (Wichura's AS 241, PPND16: about 16 digits). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const q = p - 0.5;
  const poly = (c: readonly number[], x: number) => c.reduceRight((acc, v) => acc * x + v, 0);
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly([3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727], r)) /
      poly([1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852545925], r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = poly([1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4], r) /
      poly([1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9], r);
  } else {
    r -= 5;
    x = poly([6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7], r) /
      poly([1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15], r);
  }
  return q < 0 ? -x : x;
}

// ---- intervals ----------------------------------------------------------------------------------

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  /** The number of values the interval rests on. */
  n: number;
}

/**
 * Student-t interval for the mean of the finite values (one value per seed): mean ± t_{(1+level)/2, n−1}
 * · sd/√n. NaN bounds with fewer than two values: one seed says nothing about seed-to-seed spread.
 */
export function tInterval(xs: readonly number[], level = 0.95): Interval {
  const f = finite(xs);
  const m = mean(f);
  if (f.length < 2) return { estimate: m, lo: NaN, hi: NaN, n: f.length };
  const half = studentTQuantile((1 + level) / 2, f.length - 1) * (sd(f) / Math.sqrt(f.length));
  return { estimate: m, lo: m - half, hi: m + half, n: f.length };
}

/**
 * Wilson score interval for a proportion k/n: closed form, close to nominal coverage and sane at
 * k = 0 and k = n (where the Wald interval collapses to a point).
 */
export function wilsonInterval(k: number, n: number, level = 0.95): Interval {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(k) && k >= 0 && k <= n)) {
    throw new ValueError(`wilsonInterval: needs integers 0 <= k <= n with n >= 1, got k = ${k}, n = ${n}`);
  }
  const z = normalQuantile((1 + level) / 2);
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return { estimate: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half), n };
}

/**
 * One resampled seed: which seed (group) was drawn, and one index draw per sample of that seed (a seed
 * may hold several samples that are resampled independently, e.g. two models evaluated on images
 * whose pairing is not known; paired data are one sample indexed by the same draw).
 */
export interface Draw {
  group: number;
  idx: Int32Array[];
}

export interface BootstrapResult extends Interval {
  replicates: number;
  /** Replicates whose statistic was finite (the others are left out of the percentiles). */
  finite: number;
}

/**
 * Two-stage percentile bootstrap over seeds × examples. `sizes[g]` lists the sizes of seed g's samples.
 * Each replicate draws as many seeds as there are, with replacement, then within each drawn seed, for
 * each of its samples, as many examples as it has, with replacement, and evaluates `statistic` on
 * those draws. The estimate is the statistic of the data as they are (every seed once, every example
 * once, in order); the interval is the (1 ± level)/2 percentiles of the replicates. Percentile rather
 * than BCa: BCa's acceleration comes from a jackknife that has no standard form over two levels, and
 * with a handful of seeds it would be noise. The bounds are NaN when more than 5% of the replicates
 * are not finite (the statistic is undefined too often to trust the rest). Seeded: the same seed gives
 * the same interval.
 */
export function hierarchicalBootstrap(
  sizes: readonly (readonly number[])[],
  statistic: (draws: readonly Draw[]) => number,
  o: { seed: number; replicates?: number; level?: number },
): BootstrapResult {
  const B = o.replicates ?? 2000;
  const level = o.level ?? 0.95;
  if (sizes.some((g) => g.some((n) => !(Number.isInteger(n) && n >= 0)))) {
    throw new ValueError(`hierarchicalBootstrap: sample sizes must be integers >= 0, got ${sizes.map((g) => `[${g.join(', ')}]`).join(', ')}`);
  }
  const S = sizes.length;
  if (S === 0) return { estimate: NaN, lo: NaN, hi: NaN, n: 0, replicates: 0, finite: 0 };
  const identity = sizes.map((g, group) => ({ group, idx: g.map((n) => Int32Array.from({ length: n }, (_, i) => i)) }));
  const estimate = statistic(identity);
  const rng = new Rng(o.seed);
  const values: number[] = [];
  for (let b = 0; b < B; b++) {
    const draws: Draw[] = [];
    for (let s = 0; s < S; s++) {
      const group = rng.int(S);
      const idx = sizes[group]!.map((n) => {
        const draw = new Int32Array(n);
        for (let i = 0; i < n; i++) draw[i] = rng.int(n);
        return draw;
      });
      draws.push({ group, idx });
    }
    const v = statistic(draws);
    if (Number.isFinite(v)) values.push(v);
  }
  if (B === 0 || values.length < 0.95 * B) return { estimate, lo: NaN, hi: NaN, n: S, replicates: B, finite: values.length };
  const sorted = Float64Array.from(values).sort();
  return { estimate, lo: quantileSorted(sorted, (1 - level) / 2), hi: quantileSorted(sorted, (1 + level) / 2), n: S, replicates: B, finite: values.length };
}

// ---- correlation and trend ----------------------------------------------------------------------

/** 1-based ascending ranks; tied values share the mean of the ranks they span. */
export function tiedRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const byValue = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(n);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[byValue[end]!] === values[byValue[start]!]) end++;
    const shared = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) out[byValue[k]!] = shared;
    start = end;
  }
  return out;
}

/** Centred cross and square sums Σ(a−ā)(b−b̄), Σ(a−ā)², Σ(b−b̄)² (two passes: no cancellation). */
function centredSums(a: ArrayLike<number>, b: ArrayLike<number>): { ab: number; aa: number; bb: number } {
  const n = a.length;
  const ma = mean(Array.from(a));
  const mb = mean(Array.from(b));
  const out = { ab: 0, aa: 0, bb: 0 };
  for (let i = 0; i < n; i++) {
    out.ab += (a[i]! - ma) * (b[i]! - mb);
    out.aa += (a[i]! - ma) ** 2;
    out.bb += (b[i]! - mb) ** 2;
  }
  return out;
}

/** Pearson correlation; NaN when either sample is constant or shorter than 2. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ValueError(`pearson: samples of different lengths ${a.length} and ${b.length}`);
  if (a.length < 2) return NaN;
  const s = centredSums(a, b);
  return s.aa > 0 && s.bb > 0 ? s.ab / Math.sqrt(s.aa * s.bb) : NaN;
}

/** Spearman's ρ: Pearson's r of the tied ranks (exact with ties, as scipy.stats.spearmanr); NaN on any NaN. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ValueError(`spearman: samples of different lengths ${a.length} and ${b.length}`);
  for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i]!) || Number.isNaN(b[i]!)) return NaN;
  return pearson(tiedRanks(a), tiedRanks(b));
}

/**
 * A sample prepared for Spearman's ρ on many bootstrap resamples of itself: sorted once, then ranked
 * in O(n) per resample from how many times each example was drawn (tied ranks as in `tiedRanks`).
 */
export class RankOrder {
  private readonly order: Int32Array;
  readonly hasNaN: boolean;

  constructor(readonly values: ArrayLike<number>) {
    this.hasNaN = Array.prototype.some.call(values, (v: number) => Number.isNaN(v));
    this.order = this.hasNaN ? new Int32Array(0) : Int32Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  }

  /** Per example, its tied rank among the examples of a resample that holds example i counts[i] times. */
  ranks(counts: Int32Array): Float64Array {
    const { order, values } = this;
    const n = order.length;
    const out = new Float64Array(n);
    let below = 0;
    for (let k = 0; k < n; ) {
      let end = k;
      let c = 0;
      while (end < n && values[order[end]!] === values[order[k]!]) c += counts[order[end++]!]!;
      const shared = below + (c + 1) / 2; // mean of ranks below+1 .. below+c
      for (let j = k; j < end; j++) out[order[j]!] = shared;
      below += c;
      k = end;
    }
    return out;
  }
}

/** Spearman's ρ of the resample `idx` of two paired samples, equal to spearman(a[idx], b[idx]) but O(n). */
export function spearmanOfDraw(a: RankOrder, b: RankOrder, idx: Int32Array): number {
  const n = a.values.length;
  if (b.values.length !== n) throw new ValueError(`spearmanOfDraw: samples of different lengths ${n} and ${b.values.length}`);
  if (a.hasNaN || b.hasNaN || idx.length < 2) return NaN;
  const counts = new Int32Array(n);
  for (const i of idx) counts[i]!++;
  const ra = a.ranks(counts);
  const rb = b.ranks(counts);
  // Pearson's r of the drawn pairs = the count-weighted Pearson over the examples.
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += counts[i]! * ra[i]!;
    mb += counts[i]! * rb[i]!;
  }
  ma /= idx.length;
  mb /= idx.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const w = counts[i]!;
    if (w === 0) continue;
    ab += w * (ra[i]! - ma) * (rb[i]! - mb);
    aa += w * (ra[i]! - ma) ** 2;
    bb += w * (rb[i]! - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : NaN;
}

/** Least-squares slope of y on x (numpy.polyfit(x, y, 1)[0]); NaN if x is constant or any value is not finite. */
export function slope(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new ValueError(`slope: ${x.length} x values but ${y.length} y values`);
  if (x.length < 2 || ![...x, ...y].every(Number.isFinite)) return NaN;
  const c = centredSums(x, y);
  return c.aa > 0 ? c.ab / c.aa : NaN;
}

/**
 * Monotone-trend test of a ladder: the least-squares slope of each seed's values over the rungs, and a
 * Student-t interval of those slopes over seeds. Chosen over Jonckheere–Terpstra because the rungs of
 * one seed share its data and initialisation, so the seed (not the rung or the example) is the unit
 * of replication; and a slope is an effect with units that a smallest effect of interest can be stated
 * in, where Jonckheere–Terpstra gives only a p-value.
 */
export function trendOverSeeds(x: readonly number[], perSeed: readonly (readonly number[])[], level = 0.95): Interval & { slopes: number[] } {
  const slopes = perSeed.map((y) => slope(x, [...y]));
  return { ...tInterval(slopes, level), slopes };
}
