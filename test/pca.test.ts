// First-principal-component variance share per layer (methods.md §5.1): power iteration on the Gram
// matrix against matrices whose spectrum is known by construction, on both backends.
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { firstPcFraction, firstPcFractionOfGram, MinibatchCka, topEigenvalue } from '../src/analysis/index.js';

/** Rows 1..k of the 8 × 8 Sylvester–Hadamard matrix: ±1 vectors, each summing to 0, mutually orthogonal. */
const hadamard = (k: number): number[][] =>
  Array.from({ length: k }, (_, r) => Array.from({ length: 8 }, (_, c) => (-1) ** popcount((r + 1) & c)));
function popcount(x: number): number {
  let n = 0;
  for (; x; x >>= 1) n += x & 1;
  return n;
}

/** X [8, cols]: column j is scales[j] · h_j plus a constant offset (which centring removes), then mixed by a rotation. */
function knownSpectrum(scales: number[], angle: number): Float64Array {
  const h = hadamard(scales.length);
  const cols = scales.length;
  const x = new Float64Array(8 * cols);
  for (let i = 0; i < 8; i++) for (let j = 0; j < cols; j++) x[i * cols + j] = scales[j]! * h[j]![i]! + 0.5 * j;
  // A Givens rotation of feature columns 0 and 1 leaves the singular values alone.
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  for (let i = 0; i < 8; i++) {
    const [a, b] = [x[i * cols]!, x[i * cols + 1]!];
    x[i * cols] = c * a - s * b;
    x[i * cols + 1] = s * a + c * b;
  }
  return x;
}

describe('first principal component', () => {
  it('power iteration finds the top eigenvalue of a rotated diagonal matrix, and 0 for the zero matrix', () => {
    const [c, s] = [Math.cos(0.3), Math.sin(0.3)];
    const q = [[c, -s, 0], [s, c, 0], [0, 0, 1]];
    const d = [5, 3, 1];
    const k = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let t = 0; t < 3; t++) k[i * 3 + j]! += q[i]![t]! * d[t]! * q[j]![t]!;
    const top = topEigenvalue(k, 3);
    expect(top.converged).toBe(true);
    expect(top.value).toBeCloseTo(5, 9);
    expect(topEigenvalue(new Float64Array(16), 4).value).toBe(0);
    expect(Number.isNaN(firstPcFractionOfGram(new Float64Array(16), 4))).toBe(true); // a dead layer
    expect(() => topEigenvalue(new Float64Array(5), 2)).toThrow(/expected 4 entries/);
  });

  for (const backend of ['webgpu', 'cpu'] as const) {
    it(`known spectra on ${backend}: σ = (3, 2, 1) gives 9/14, rank one gives 1, equal σ give 1/k`, async () => {
      const b = backend === 'cpu' ? rl.cpu : undefined;
      const cases: [number[], number][] = [[[3, 2, 1], 9 / 14], [[2, 0, 0], 1], [[1, 1, 1, 1], 1 / 4]];
      for (const [scales, want] of cases) {
        const x = rl.tensor(knownSpectrum(scales, 0.7), [8, scales.length], { backend: b });
        expect(await firstPcFraction(x)).toBeCloseTo(want, 5);
        x.dispose();
      }
      const one = rl.ones([1, 3], { backend: b });
      await expect(firstPcFraction(one)).rejects.toThrow(/at least 2 examples/);
      one.dispose();
    });
  }

  it('MinibatchCka with firstPc averages the per-batch fractions of each row layer', async () => {
    const xa = rl.tensor(knownSpectrum([3, 2, 1], 0.2), [8, 3]);
    const xb = rl.tensor(knownSpectrum([1, 1, 1, 1], 1.1), [8, 4]);
    const acc = new MinibatchCka(['a', 'b'], undefined, { firstPc: true });
    await acc.update([xa, xb]);
    await acc.update([xb, xa]);
    const r = acc.result();
    expect(r.firstPcRows![0]).toBeCloseTo((9 / 14 + 1 / 4) / 2, 5);
    expect(r.firstPcRows![1]).toBeCloseTo((1 / 4 + 9 / 14) / 2, 5);
    // The same from Gram matrices of the uncentred features (double centring removes the offsets).
    const fromGrams = new MinibatchCka(['a', 'b'], undefined, { firstPc: true });
    const grams = [xa, xb].map((x) => rl.matmulT(x, x, false, true));
    await fromGrams.updateGrams(grams);
    await fromGrams.updateGrams([grams[1]!, grams[0]!]);
    for (const g of grams) g.dispose();
    expect(fromGrams.result().firstPcRows![0]).toBeCloseTo((9 / 14 + 1 / 4) / 2, 5);
    expect(fromGrams.result().values[0]![1]).toBeCloseTo(r.values[0]![1]!, 5);
    const plain = new MinibatchCka(['a']);
    await plain.update([xa]);
    expect(plain.result().firstPcRows).toBeUndefined(); // opt-in: no extra readbacks by default
    xa.dispose();
    xb.dispose();
  });
});
