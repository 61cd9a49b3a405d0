/**
 * Similarity of two plain feature matrices (rows = paired examples): the computation behind
 * `robustlens similarity A.npy B.npy`. Linear, debiased, RBF (t = 0.5 and 1.0, biased and debiased)
 * and minibatch CKA, all in one call.
 */
import { getBackend } from '../engine.js';
import { ShapeError, ValueError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import type { Backend } from '../backend/types.js';
import type { Tensor } from '../tensor.js';
import { linearCka, rbfCka } from './cka.js';
import { FeatureMatrix } from './feature-matrix.js';
import { minibatchCka } from './minibatch.js';

export interface MatrixInput {
  data: Float32Array | Float64Array;
  /** [rows, cols]: rows are examples. */
  shape: readonly [number, number] | readonly number[];
}

export interface SimilarityOptions {
  /** Minibatch size for minibatch CKA (default 256, or n if smaller). */
  batchSize?: number;
  backend?: Backend<any>;
}

export interface SimilarityReport {
  n: number;
  p: number;
  q: number;
  linear: number;
  debiased: number;
  rbf: { '0.5': { biased: number; debiased: number }; '1.0': { biased: number; debiased: number } };
  minibatch: { batchSize: number; batches: number; value: number };
  /** Which feature matrices are constant across examples (their CKA is undefined: NaN). */
  dead: { A: boolean; B: boolean };
  backend: string;
}

function check(name: string, m: MatrixInput): [number, number] {
  if (m.shape.length !== 2) throw new ShapeError(`similarityFromMatrices: ${name} must be 2-D [examples, features], got shape [${m.shape.join(', ')}]`);
  const [r, c] = m.shape as [number, number];
  if (r * c !== m.data.length) throw new ShapeError(`similarityFromMatrices: ${name} has ${m.data.length} values for shape [${r}, ${c}]`);
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i]!)) {
      throw new ValueError(`similarityFromMatrices: ${name} has a non-finite value (${m.data[i]}) at row ${Math.floor(i / c)}, column ${i % c}; clean the features first`);
    }
  }
  return [r, c];
}

export async function similarityFromMatrices(A: MatrixInput, B: MatrixInput, opts: SimilarityOptions = {}): Promise<SimilarityReport> {
  const [n, p] = check('A', A);
  const [nb, q] = check('B', B);
  if (n !== nb) throw new ShapeError(`similarityFromMatrices: A has ${n} rows and B ${nb}; rows are examples and must be paired (same inputs, same order)`);
  if (n < 4) throw new ValueError(`similarityFromMatrices: needs at least 4 examples (rows), got ${n}`);
  const backend = opts.backend ?? getBackend();
  const batchSize = opts.batchSize ?? Math.min(256, n);
  if (!(Number.isInteger(batchSize) && batchSize >= 4 && batchSize <= n)) {
    throw new ValueError(`similarityFromMatrices: batchSize must be an integer in [4, ${n}], got ${batchSize}`);
  }
  const X: Tensor = tensor(A.data, [n, p], { backend });
  const Y: Tensor = tensor(B.data, [n, q], { backend });
  // One FeatureMatrix per side: each is centred once, its Gram matrix, distances and RBF median are
  // formed once, and every estimator below takes them from there.
  const fx = new FeatureMatrix(X, 'similarityFromMatrices');
  const fy = new FeatureMatrix(Y, 'similarityFromMatrices');
  try {
    const lin = await linearCka(fx, fy);
    const deb = await linearCka(fx, fy, { debiased: true });
    const rbf = async (t: number) => ({
      biased: (await rbfCka(fx, fy, { threshold: t })).value,
      debiased: (await rbfCka(fx, fy, { threshold: t, debiased: true })).value,
    });
    return {
      n, p, q,
      linear: lin.value,
      debiased: deb.value,
      rbf: { '0.5': await rbf(0.5), '1.0': await rbf(1.0) },
      minibatch: { batchSize, batches: Math.floor(n / batchSize), value: await minibatchCka(fx, fy, batchSize) },
      dead: { A: !(lin.hsic.xx > 0), B: !(lin.hsic.yy > 0) },
      backend: backend.describe(),
    };
  } finally {
    fx.dispose();
    fy.dispose();
    X.dispose();
    Y.dispose();
  }
}
