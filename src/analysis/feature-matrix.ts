/**
 * One feature matrix (rows = examples) with what the HSIC/CKA estimators derive from it, each
 * computed on first use and then shared by every estimator given this object: the column-centred
 * features, the linear Gram matrix of those, the squared-distance matrix, the RBF bandwidth (the
 * median of all n² distances, kept on the device) and the feature-form norms. Centring comes first,
 * always (methods.md §1.9.1). The object owns what it derives (dispose it, or `using`); the features
 * themselves stay the caller's and must outlive it.
 */
import { noGrad } from '../autograd/tape.js';
import { keep, tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { matmulT } from '../ops/matmul.js';
import { square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { centerColumns, frobeniusInner, gram, medianOfAll, rbfFromSqDist, sqDistFromGram } from '../ops/hsic.js';
import type { Tensor } from '../tensor.js';

/** A tensor this object keeps: out of every tidy scope, made without a gradient tape. */
const owned = (make: () => Tensor): Tensor => keep(noGrad(make));

/** ||Aᵀ B||²_F of two centred matrices [n, lda], [n, ldb] (zero padding columns add nothing). */
async function crossNorm2(a: Tensor, b: Tensor): Promise<number> {
  const m = noGrad(() => matmulT(a, b, true, false));
  try {
    return await frobeniusInner(m, m);
  } finally {
    m.dispose();
  }
}

export class FeatureMatrix {
  readonly n: number;
  readonly p: number;
  #centred: Tensor | null = null;
  #gram: Tensor | null = null;
  #sqDist: Tensor | null = null;
  #median: Tensor | null = null;
  #rowNorms: Promise<Float64Array> | null = null;
  readonly #cross = new Map<FeatureMatrix, Promise<number>>();
  #disposed = false;

  /** `x`: a 2-D float32 tensor [examples, features]; `op` names the caller in error messages. */
  constructor(
    readonly x: Tensor,
    op = 'FeatureMatrix',
  ) {
    if (x.rank !== 2) throw new ShapeError(`${op}: features must be 2-D [examples, features], got ${fmtShape(x.shape)}; flatten each example first (reshape(x, [n, -1]))`);
    if (x.dtype !== 'float32') throw new ValueError(`${op}: features must be float32, got ${x.dtype}`);
    this.n = x.shape[0]!;
    this.p = x.shape[1]!;
  }

  /** Use `x` as it is, or wrap a tensor in a new FeatureMatrix that the caller must dispose (`owned`). */
  static of(op: string, x: Tensor | FeatureMatrix): { f: FeatureMatrix; owned: boolean } {
    return x instanceof FeatureMatrix ? { f: x.alive(op), owned: false } : { f: new FeatureMatrix(x, op), owned: true };
  }

  get backend(): Tensor['backend'] {
    return this.x.backend;
  }

  private alive(op: string): this {
    if (this.#disposed) throw new ValueError(`${op}: this FeatureMatrix was disposed; make a new one from the features`);
    return this;
  }

  /** The column-centred features [n, padTo4(p)] (zero padding columns). */
  centred(): Tensor {
    this.alive('FeatureMatrix.centred');
    return (this.#centred ??= owned(() => centerColumns(this.x)));
  }

  /** The linear Gram matrix K = Xc·Xcᵀ of the centred features, n × n. */
  gram(): Tensor {
    return (this.#gram ??= owned(() => gram(this.centred())));
  }

  /** Squared distances between the rows, from the Gram matrix (§1.1), n × n. */
  sqDist(): Tensor {
    return (this.#sqDist ??= owned(() => sqDistFromGram(this.gram())));
  }

  /** The median of all n² squared distances, diagonal zeros included (§1.1): a one-element tensor on the device. */
  median(): Tensor {
    return (this.#median ??= owned(() => medianOfAll(this.sqDist())));
  }

  /** A new RBF Gram matrix exp(−D / (2 t² m)) for threshold t (the caller disposes it); all 0 when m = 0. */
  rbfGram(threshold: number): Tensor {
    return noGrad(() => rbfFromSqDist(this.sqDist(), this.median(), threshold));
  }

  /** ||Xcᵀ Yc||²_F, the feature-form cross term (§1.4), shared by both FeatureMatrix objects. */
  crossNorm2(other: FeatureMatrix): Promise<number> {
    this.alive('FeatureMatrix.crossNorm2');
    other.alive('FeatureMatrix.crossNorm2');
    if (other.n !== this.n) throw new ShapeError(`FeatureMatrix.crossNorm2: ${this.n} and ${other.n} rows; rows are examples and must be paired`);
    const known = this.#cross.get(other) ?? other.#cross.get(this);
    if (known) return known;
    const v = crossNorm2(this.centred(), other.centred());
    this.#cross.set(other, v);
    return v;
  }

  /** ||Xcᵀ Xc||²_F. */
  selfNorm2(): Promise<number> {
    return this.crossNorm2(this);
  }

  /** The squared norms of the centred rows, a_i = ||x_i||² (the debiased feature form, §1.5), in float64. */
  rowSquaredNorms(): Promise<Float64Array> {
    this.alive('FeatureMatrix.rowSquaredNorms');
    this.#rowNorms ??= (async () => {
      const r = noGrad(() => tidy(() => sum(square(this.centred()), 1)));
      try {
        return Float64Array.from(await r.data());
      } finally {
        r.dispose();
      }
    })();
    return this.#rowNorms;
  }

  /** Free everything derived (the features themselves stay the caller's). */
  dispose(): void {
    for (const t of [this.#centred, this.#gram, this.#sqDist, this.#median]) t?.dispose();
    this.#centred = this.#gram = this.#sqDist = this.#median = null;
    this.#cross.clear();
    this.#disposed = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
