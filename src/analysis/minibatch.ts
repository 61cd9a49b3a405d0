/**
 * Minibatch CKA (Nguyen, Raghu & Kornblith 2021; methods.md §1.6), layer × layer:
 *
 *   CKA_mb[i][j] = Σ_b HSIC_1(K_ib, L_jb) / sqrt( Σ_b HSIC_1(K_ib, K_ib) · Σ_b HSIC_1(L_jb, L_jb) )
 *
 * Per batch, the U-centred linear Gram matrices of all layers are stacked into one [L, m²] buffer and
 * every pairwise <K^U, L^U>_F comes back as partial sums from one kernel; the HSIC_1 values are
 * accumulated across batches and passes in float64 on the host. Only one batch's features and Gram
 * matrices are alive at a time, so the evaluation set never has to fit in memory.
 */
import { ShapeError, ValueError } from '../errors.js';
import { featuresOf, innerProducts, linearGram, type AnyBackend, type Features } from './hsic.js';
import { firstPcFractionOfGram } from './pca.js';
import type { Tensor } from '../tensor.js';

export interface CkaMatrix {
  /** Layer names of the rows (model A) and the columns (model B, or A again within one model). */
  rows: string[];
  cols: string[];
  /** values[i][j]: CKA of row layer i and column layer j; NaN where either layer is dead. */
  values: number[][];
  /** Layers whose accumulated self-HSIC is ≤ 0 (dead or constant): never divided by. */
  deadRows: boolean[];
  deadCols: boolean[];
  estimator: string;
  batches: number;
  examples: number;
  /** With `firstPc`: per row layer, the variance share of the first principal component, averaged over batches. */
  firstPcRows?: number[];
}

/**
 * Stack the U-centred linear Gram matrices of each layer (same m rows) into one [L, m²] buffer;
 * with `keepGrams`, also the plain (double-centred) ones into a second, for one readback.
 */
function stackUGrams(b: AnyBackend, feats: readonly Features[], m: number, keepGrams = false): { u: unknown; grams: unknown | null } {
  const mm = m * m;
  const stack = b.fill(feats.length * mm, 0, 'float32');
  const grams = keepGrams ? b.fill(feats.length * mm, 0, 'float32') : null;
  feats.forEach((f, l) => {
    const k = linearGram(f);
    const at = { shape: [mm], strides: [1], offset: l * mm };
    if (grams) b.writeView(grams, at, k);
    const u = b.uCenter(k, m);
    b.free(k);
    b.writeView(stack, at, u);
    b.free(u);
  });
  return { u: stack, grams };
}

function asFeatures(op: string, xs: readonly (Tensor | Features)[]): Features[] {
  return xs.map((x) => ('storage' in x && typeof x.storage !== 'function' ? (x as Features) : featuresOf(op, x as Tensor)));
}

/**
 * Accumulates minibatch CKA over batches (and passes). Within one model give only `rows`; across two
 * models give `cols` too and pass both models' features (of the SAME inputs, in the same order) to
 * `update`. Batches may differ in size (each HSIC_1 is normalised by its own m(m−3), as in (a)).
 */
export class MinibatchCka {
  readonly cols: string[];
  private readonly cross: Float64Array;
  private readonly selfA: Float64Array;
  private readonly selfB: Float64Array;
  private readonly within: boolean;
  private readonly pcSums: Float64Array | null;
  batches = 0;
  examples = 0;

  /** `opts.firstPc`: also average, per row layer, the first principal component's share of the variance (pca.ts). */
  constructor(readonly rows: string[], cols?: string[], opts: { firstPc?: boolean } = {}) {
    this.pcSums = opts.firstPc ? new Float64Array(rows.length) : null;
    if (rows.length === 0) throw new ValueError('MinibatchCka: needs at least one layer');
    this.within = cols === undefined;
    this.cols = cols ?? rows;
    this.cross = new Float64Array(this.rows.length * this.cols.length);
    this.selfA = new Float64Array(this.rows.length);
    this.selfB = new Float64Array(this.cols.length);
  }

  /** Add one minibatch: features [m, p_l] of every row layer (and of every column layer). */
  async update(a: readonly (Tensor | Features)[], bFeats?: readonly (Tensor | Features)[]): Promise<void> {
    const op = 'MinibatchCka.update';
    const fa = asFeatures(op, a);
    if (fa.length !== this.rows.length) throw new ShapeError(`${op}: got ${fa.length} row layers, expected ${this.rows.length} (${this.rows.join(', ')})`);
    if (this.within && bFeats) throw new ValueError(`${op}: this accumulator is within one model; construct it with column names to compare two models`);
    if (!this.within && !bFeats) throw new ValueError(`${op}: a cross-model accumulator needs the second model's features too`);
    const fb = bFeats ? asFeatures(op, bFeats) : fa;
    if (fb.length !== this.cols.length) throw new ShapeError(`${op}: got ${fb.length} column layers, expected ${this.cols.length}`);
    const m = fa[0]!.n;
    const backend = fa[0]!.backend;
    for (const f of [...fa, ...fb]) {
      if (f.n !== m) throw new ShapeError(`${op}: every layer must have the same ${m} rows (examples) of this batch; got ${f.n}`);
      if (f.backend !== backend) throw new ValueError(`${op}: features on different backends`);
    }
    if (m < 4) throw new ValueError(`${op}: a batch needs at least 4 examples (HSIC_1 divides by m − 3), got ${m}; use larger batches`);
    const z = m * (m - 3);
    const mm = m * m;
    const { u: ga, grams } = stackUGrams(backend, fa, m, this.pcSums !== null);
    let gb: unknown = ga;
    try {
      if (!this.within) gb = stackUGrams(backend, fb, m).u;
      const La = fa.length;
      const Lb = fb.length;
      const aa = await innerProducts(backend, ga, La, ga, La, mm);
      if (this.within) {
        for (let k = 0; k < La * La; k++) this.cross[k]! += aa[k]! / z;
        for (let i = 0; i < La; i++) this.selfA[i]! += aa[i * La + i]! / z;
        this.selfB.set(this.selfA);
      } else {
        const [ab, bb] = await Promise.all([innerProducts(backend, ga, La, gb, Lb, mm), innerProducts(backend, gb, Lb, gb, Lb, mm)]);
        for (let k = 0; k < La * Lb; k++) this.cross[k]! += ab[k]! / z;
        for (let i = 0; i < La; i++) this.selfA[i]! += aa[i * La + i]! / z;
        for (let j = 0; j < Lb; j++) this.selfB[j]! += bb[j * Lb + j]! / z;
      }
      if (grams && this.pcSums) {
        const all = await backend.read(grams, La * mm, 'float32');
        for (let l = 0; l < La; l++) this.pcSums[l]! += firstPcFractionOfGram(all.subarray(l * mm, (l + 1) * mm), m);
      }
    } finally {
      if (grams) backend.free(grams);
      backend.free(ga);
      if (gb !== ga) backend.free(gb);
    }
    this.batches++;
    this.examples += m;
  }

  /** The accumulated sums of HSIC_1: cross[i][j], self of the rows, self of the columns. */
  sums(): { cross: number[][]; selfRows: number[]; selfCols: number[] } {
    const L = this.cols.length;
    return {
      cross: this.rows.map((_, i) => Array.from(this.cross.subarray(i * L, (i + 1) * L))),
      selfRows: Array.from(this.selfA),
      selfCols: Array.from(this.selfB),
    };
  }

  result(): CkaMatrix {
    if (this.batches === 0) throw new ValueError('MinibatchCka.result: no batches were added');
    const L = this.cols.length;
    const deadRows = Array.from(this.selfA, (s) => !(s > 0));
    const deadCols = Array.from(this.selfB, (s) => !(s > 0));
    const values = this.rows.map((_, i) =>
      this.cols.map((_, j) => (deadRows[i] || deadCols[j] ? NaN : this.cross[i * L + j]! / Math.sqrt(this.selfA[i]! * this.selfB[j]!))),
    );
    return {
      rows: [...this.rows], cols: [...this.cols], values, deadRows, deadCols,
      estimator: 'minibatch linear CKA (HSIC_1 sums, Nguyen et al. 2021)', batches: this.batches, examples: this.examples,
      ...(this.pcSums ? { firstPcRows: Array.from(this.pcSums, (s) => s / this.batches) } : {}),
    };
  }
}

/** Minibatch CKA of two paired feature matrices split into consecutive batches of `batchSize` rows
 *  (a trailing partial batch is dropped, §1.6 [rec]). */
export async function minibatchCka(X: Tensor, Y: Tensor, batchSize: number): Promise<number> {
  const x = featuresOf('minibatchCka', X);
  const y = featuresOf('minibatchCka', Y);
  if (x.n !== y.n) throw new ShapeError(`minibatchCka: ${x.n} and ${y.n} rows; rows are examples and must be paired`);
  if (!(Number.isInteger(batchSize) && batchSize >= 4)) throw new ValueError(`minibatchCka: batchSize must be an integer ≥ 4, got ${batchSize}`);
  const k = Math.floor(x.n / batchSize);
  if (k === 0) throw new ValueError(`minibatchCka: ${x.n} rows make no full batch of ${batchSize}; use a smaller batch size`);
  const b = x.backend;
  const acc = new MinibatchCka(['X'], ['Y']);
  for (let i = 0; i < k; i++) {
    const slice = (f: Features): Features => ({
      ...f, n: batchSize, storage: b.readView(f.storage, { shape: [batchSize, f.p], strides: [f.p, 1], offset: i * batchSize * f.p }),
    });
    const xs = slice(x);
    const ys = slice(y);
    try {
      await acc.update([xs], [ys]);
    } finally {
      b.free(xs.storage);
      b.free(ys.storage);
    }
  }
  return acc.result().values[0]![0]!;
}
