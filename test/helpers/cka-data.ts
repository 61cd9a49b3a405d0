// The reference inputs of methods.md §1.8 and small helpers shared by the CKA test files.
import { expect } from 'vitest';
import { getBackend, tensor, type Backend, type Tensor } from '../../src/node.js';
import { debiasedCka, linearCka, rbfCka } from '../../src/analysis/cka.js';
import { minibatchCka } from '../../src/analysis/minibatch.js';

export type B = Backend<any>;
export const gpu = (): B => getBackend();

// §1.8 inputs.
export const N = 12;
export const X = Array.from({ length: N }, (_, i) => Array.from({ length: 4 }, (_, j) => Math.sin(0.5 * i + 1.3 * j) + 0.05 * i * j));
export const Y = Array.from({ length: N }, (_, i) => Array.from({ length: 3 }, (_, k) => Math.cos(0.9 * i - 0.4 * k) + 0.3 * X[i]![k % 4]!));
const M = [[1, 0.5, 0], [0, 1, 0.3], [0.2, 0, 1], [0, 0, 0]];
export const Y2 = Array.from({ length: N }, (_, i) =>
  Array.from({ length: 3 }, (_, k) => X[i]!.reduce((s, v, j) => s + v * M[j]![k]!, 0) + 0.1 * Math.cos(i * (k + 1))));

export const T = (rows: number[][], b: B): Tensor => tensor(rows.flat(), [rows.length, rows[0]!.length], { backend: b });

/** Run fn on tensors of the given matrices on backend b, disposing them afterwards. */
export async function withT<R>(b: B, mats: number[][][], fn: (...ts: Tensor[]) => Promise<R>): Promise<R> {
  const ts = mats.map((m) => T(m, b));
  try {
    return await fn(...ts);
  } finally {
    for (const t of ts) t.dispose();
  }
}

export const close = (got: number, want: number, tol: number, what: string): void => {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
};

export const rows = (m: number[][], idx: number[]): number[][] => idx.map((i) => m[i]!);
export const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

/** Every estimator as a function of two feature tensors. */
export type Est = [string, (x: Tensor, y: Tensor) => Promise<number>];
export const estimators: Est[] = [
  ['linear gram', async (x, y) => (await linearCka(x, y, { form: 'gram' })).value],
  ['linear feature', async (x, y) => (await linearCka(x, y, { form: 'feature' })).value],
  ['debiased gram', async (x, y) => (await debiasedCka(x, y, { form: 'gram' })).value],
  ['debiased feature', async (x, y) => (await debiasedCka(x, y, { form: 'feature' })).value],
  ['rbf 0.5', async (x, y) => (await rbfCka(x, y, { threshold: 0.5 })).value],
  ['rbf 1.0 debiased', async (x, y) => (await rbfCka(x, y, { threshold: 1, debiased: true })).value],
  ['minibatch 6', (x, y) => minibatchCka(x, y, 6)],
];
