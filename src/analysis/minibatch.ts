/**
 * Minibatch CKA (Nguyen, Raghu & Kornblith 2021; methods.md §1.6), layer × layer:
 *
 *   CKA_mb[i][j] = Σ_b HSIC_1(K_ib, L_jb) / sqrt( Σ_b HSIC_1(K_ib, K_ib) · Σ_b HSIC_1(L_jb, L_jb) )
 *
 * Per batch, the U-centred linear Gram matrices of all layers are stacked into one [L, m²] tensor and
 * every pairwise <K^U, L^U>_F comes back as partial sums from one kernel; the HSIC_1 values are
 * accumulated across batches and passes in float64 on the host. Only one batch's features and Gram
 * matrices are alive at a time, so the evaluation set never has to fit in memory.
 */
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import { ShapeError, ValueError } from '../errors.js';
import { centerColumns, doubleCenter, gram, innerProducts, uCenter } from '../ops/hsic.js';
import { concat, reshape, slice } from '../ops/layout.js';
import type { Tensor } from '../tensor.js';
import { withFeatures, type FeaturesLike } from './cka.js';
import { FeatureMatrix } from './feature-matrix.js';
import { firstPcFractionOfGram } from './pca.js';

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

/** The m × m Gram matrices as one [L, m²] tensor, each transformed by `f` (U-centring, double centring). */
function stacked(grams: readonly Tensor[], f: (k: Tensor) => Tensor): Tensor {
  return noGrad(() => tidy(() => concat(grams.map((k) => reshape(f(k), [1, k.size])), 0)));
}

/**
 * The linear Gram matrix of each layer's batch features (centred over the batch; a FeatureMatrix lends
 * its own), one per distinct input; `made` are those computed here, for the caller to dispose.
 */
function gramsOf(feats: readonly FeaturesLike[]): { grams: Map<FeaturesLike, Tensor>; made: Tensor[] } {
  const grams = new Map<FeaturesLike, Tensor>();
  const made: Tensor[] = [];
  for (const x of feats) {
    if (grams.has(x)) continue;
    if (x instanceof FeatureMatrix) {
      grams.set(x, x.gram());
    } else {
      const k = noGrad(() => tidy(() => gram(centerColumns(x))));
      made.push(k);
      grams.set(x, k);
    }
  }
  return { grams, made };
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
  /** Settles when the last update has added its sums: each update adds its own after it, in call order. */
  private tail: Promise<void> = Promise.resolve();

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
  async update(a: readonly FeaturesLike[], b?: readonly FeaturesLike[]): Promise<void> {
    const op = 'MinibatchCka.update';
    this.checkLayers(op, a.length, b?.length);
    const all = [...a, ...(b ?? [])];
    const shapeOf = (x: FeaturesLike): readonly number[] => (x instanceof FeatureMatrix ? x.x.shape : x.shape);
    const m = shapeOf(a[0]!)[0]!;
    for (const x of all) {
      if (x.backend !== a[0]!.backend) throw new ValueError(`${op}: features on different backends (${x.backend.kind}, ${a[0]!.backend.kind})`);
      const s = shapeOf(x);
      if (s.length !== 2) throw new ShapeError(`${op}: features must be 2-D [examples, features], got [${s.join(', ')}]; flatten each example first`);
      if (s[0] !== m) throw new ShapeError(`${op}: every layer must have the same ${m} rows (examples) of this batch; got ${s[0]}`);
    }
    if (m < 4) throw new ValueError(`${op}: a batch needs at least 4 examples (HSIC_1 divides by m − 3), got ${m}; use larger batches`);
    const { grams, made } = gramsOf(all);
    try {
      await this.accumulate(a.map((x) => grams.get(x)!), b?.map((x) => grams.get(x)!), true);
    } finally {
      for (const k of made) k.dispose();
    }
  }

  /**
   * Add one minibatch given the linear Gram matrices [m, m] of every row layer (and column layer) over
   * its m examples. Any Gram matrix of those rows will do, centred per batch or not: U-centring (and,
   * for `firstPc`, double centring) removes what centring would (§1.7.5).
   */
  updateGrams(a: readonly Tensor[], b?: readonly Tensor[]): Promise<void> {
    return this.accumulate(a, b, false);
  }

  /** `centred`: the Gram matrices are of features centred over this batch (the first-PC share needs that). */
  private async accumulate(a: readonly Tensor[], b: readonly Tensor[] | undefined, centred: boolean): Promise<void> {
    const op = centred ? 'MinibatchCka.update' : 'MinibatchCka.updateGrams';
    this.checkLayers(op, a.length, b?.length);
    const all = [...a, ...(b ?? [])];
    const m = a[0]!.shape[0]!;
    for (const k of all) {
      if (k.rank !== 2 || k.shape[0] !== m || k.shape[1] !== m) throw new ShapeError(`${op}: every layer must have the same ${m} rows (examples) of this batch; got a Gram matrix [${k.shape.join(', ')}]`);
      if (k.backend !== a[0]!.backend) throw new ValueError(`${op}: features on different backends`);
    }
    if (m < 4) throw new ValueError(`${op}: a batch needs at least 4 examples (HSIC_1 divides by m − 3), got ${m}; use larger batches`);
    const z = m * (m - 3);
    const La = a.length;
    const Lb = this.cols.length;
    // Updates may overlap (layerSimilarity queues the next batch before this one's sums are back):
    // the GPU work is queued here at once, and the float64 sums are added after every earlier update's.
    const previous = this.tail;
    let added!: () => void;
    this.tail = new Promise((resolve) => (added = resolve));
    const ga = stacked(a, uCenter);
    let gb = ga;
    let pcs: Tensor | null = null;
    try {
      if (b) gb = stacked(b, uCenter);
      if (this.pcSums) pcs = stacked(a, centred ? (k) => k : doubleCenter);
      const [aa, ab, bb] = await Promise.all([innerProducts(ga, ga), this.within ? null : innerProducts(ga, gb), this.within ? null : innerProducts(gb, gb)]);
      const v = pcs ? await pcs.data() : null;
      await previous;
      if (this.within) {
        for (let k = 0; k < La * La; k++) this.cross[k]! += aa[k]! / z;
        for (let i = 0; i < La; i++) this.selfA[i]! += aa[i * La + i]! / z;
        this.selfB.set(this.selfA);
      } else {
        for (let k = 0; k < La * Lb; k++) this.cross[k]! += ab![k]! / z;
        for (let i = 0; i < La; i++) this.selfA[i]! += aa[i * La + i]! / z;
        for (let j = 0; j < Lb; j++) this.selfB[j]! += bb![j * Lb + j]! / z;
      }
      if (v && this.pcSums) {
        const mm = m * m;
        for (let l = 0; l < La; l++) this.pcSums[l]! += firstPcFractionOfGram(v.subarray(l * mm, (l + 1) * mm), m);
      }
      this.batches++;
      this.examples += m;
    } finally {
      pcs?.dispose();
      ga.dispose();
      if (gb !== ga) gb.dispose();
      added();
    }
  }

  private checkLayers(op: string, la: number, lb: number | undefined): void {
    if (la !== this.rows.length) throw new ShapeError(`${op}: got ${la} row layers, expected ${this.rows.length} (${this.rows.join(', ')})`);
    if (this.within && lb !== undefined) throw new ValueError(`${op}: this accumulator is within one model; construct it with column names to compare two models`);
    if (!this.within && lb === undefined) throw new ValueError(`${op}: a cross-model accumulator needs the second model's features too`);
    if (lb !== undefined && lb !== this.cols.length) throw new ShapeError(`${op}: got ${lb} column layers, expected ${this.cols.length}`);
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

/** Rows [start, start + m) of a tensor [n, …], or the diagonal block [start, start + m)² of an n × n matrix. */
const rowsOf = (t: Tensor, start: number, m: number): Tensor => noGrad(() => slice(t, [start], [start + m]));
const blockOf = (k: Tensor, start: number, m: number): Tensor => noGrad(() => slice(k, [start, start], [start + m, start + m]));

/**
 * Minibatch CKA of two paired feature matrices split into consecutive batches of `batchSize` rows
 * (a trailing partial batch is dropped, §1.6 [rec]). Tensors are centred batch by batch; FeatureMatrix
 * arguments lend their full Gram matrix, whose diagonal blocks are the batches' Gram matrices (of
 * features centred over all rows, which U-centring makes no different, §1.7.5).
 */
export function minibatchCka(X: FeaturesLike, Y: FeaturesLike, batchSize: number): Promise<number> {
  const op = 'minibatchCka';
  if (!(Number.isInteger(batchSize) && batchSize >= 4)) return Promise.reject(new ValueError(`${op}: batchSize must be an integer ≥ 4, got ${batchSize}`));
  const shared = X instanceof FeatureMatrix && Y instanceof FeatureMatrix;
  return withFeatures(op, X, Y, 4, async (x, y) => {
    const k = Math.floor(x.n / batchSize);
    if (k === 0) throw new ValueError(`${op}: ${x.n} rows make no full batch of ${batchSize}; use a smaller batch size`);
    const acc = new MinibatchCka(['X'], ['Y']);
    for (let i = 0; i < k; i++) {
      const start = i * batchSize;
      if (shared) {
        const kb = blockOf(x.gram(), start, batchSize);
        const lb = y === x ? kb : blockOf(y.gram(), start, batchSize);
        try {
          await acc.updateGrams([kb], [lb]);
        } finally {
          kb.dispose();
          if (lb !== kb) lb.dispose();
        }
      } else {
        const xs = rowsOf(x.x, start, batchSize);
        const ys = y === x ? xs : rowsOf(y.x, start, batchSize);
        try {
          await acc.update([xs], [ys]);
        } finally {
          xs.dispose();
          if (ys !== xs) ys.dispose();
        }
      }
    }
    return acc.result().values[0]![0]!;
  });
}
