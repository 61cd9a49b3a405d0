// labelHits (shaders/logits.wgsl label_hits, oracle in backend/cpu/logits.ts), behind the training
// loop's correct counts: it must give what the composites it replaced gave (max + eq + one-hot for
// 'max', argmax + gathers for 'argmax') on ties, NaN, ±Inf and out-of-range labels, on both
// backends, and the GPU kernel must equal the oracle on random rows with special values.
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import type { Tensor } from '../src/node.js';
import { values } from './helpers/fuzz.js';

const cpu = rl.cpu as rl.Backend<any>;

/** The composites the kernel replaced, on any backend. */
const composite = {
  max: (z: Tensor, y: Tensor): Tensor => rl.tidy(() => rl.sum(rl.mul(rl.nn.oneHotLike(z, y), rl.eq(z, rl.max(z, 1, true))), 1)),
  argmax: (z: Tensor, y: Tensor): Tensor =>
    rl.tidy(() => {
      const C = z.shape[1]!;
      const eye = rl.tensor(Float64Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0)), [C, C], { backend: z.backend });
      return rl.sum(rl.mul(rl.gather(eye, rl.argmax(z, 1), 0), rl.nn.oneHotLike(z, y)), 1);
    }),
};

async function hits(zv: Float64Array, yv: number[], C: number, rule: 'max' | 'argmax', backend?: rl.Backend<any>, how: 'op' | 'composite' = 'op'): Promise<number[]> {
  const B = yv.length;
  const z = rl.tensor(zv, [B, C], { backend });
  const y = rl.tensor(yv, [B], { dtype: 'int32', backend });
  const h = how === 'op' ? rl.labelHits(z, y, rule) : composite[rule](z, y);
  const out = Array.from(await h.data());
  for (const t of [z, y, h]) t.dispose();
  return out;
}

describe('labelHits', () => {
  const C = 4;
  const rows = Float64Array.from([
    1, 3, 3, 0, // a tie between classes 1 and 2
    NaN, 5, 1, 0, // NaN first
    0, 5, NaN, NaN, // NaN after the maximum
    -Infinity, -Infinity, -Infinity, -Infinity,
    Infinity, 1, Infinity, 0,
    2, 1, 0, -1,
  ]);
  const cases: [number[], number[], number[]][] = [
    // labels, expected 'max', expected 'argmax'
    [[1, 0, 1, 2, 2, 0], [1, 0, 0, 1, 1, 1], [1, 1, 0, 0, 0, 1]],
    [[2, 1, 2, 0, 0, 3], [1, 0, 0, 1, 1, 0], [0, 0, 1, 1, 1, 0]],
  ];

  it('gives the composites\' answers on ties, NaN and ±Inf, on both backends', async () => {
    rl.setNumericsCheck(false);
    try {
      for (const [y, wantMax, wantArg] of cases) {
        for (const backend of [undefined, cpu]) {
          expect(await hits(rows, y, C, 'max', backend)).toEqual(wantMax);
          expect(await hits(rows, y, C, 'argmax', backend)).toEqual(wantArg);
          expect(await hits(rows, y, C, 'max', backend, 'composite')).toEqual(wantMax);
          expect(await hits(rows, y, C, 'argmax', backend, 'composite')).toEqual(wantArg);
        }
      }
    } finally {
      rl.setNumericsCheck(true);
    }
  });

  it('a label tensor outside [0, C) is never a hit; host labels outside it are refused', async () => {
    for (const backend of [undefined, cpu]) {
      expect(await hits(Float64Array.from([0, 1, 1, 0, 5, 5]), [-1, 2, 3], 2, 'argmax', backend)).toEqual([0, 0, 0]);
      expect(await hits(Float64Array.from([0, 1, 1, 0, 5, 5]), [-1, 2, 3], 2, 'max', backend)).toEqual([0, 0, 0]);
    }
    const z = rl.tensor(new Float64Array(4), [2, 2]);
    expect(() => rl.labelHits(z, [0, 2], 'max')).toThrow(/label 2 at index 1 is outside \[0, 2\)/);
    z.dispose();
  });

  it('the GPU kernel equals the oracle on random rows with special values (130 rows past a workgroup)', async () => {
    rl.setNumericsCheck(false);
    try {
      for (const [B, C2, seed] of [[130, 10, 1], [7, 1, 2], [65, 33, 3]] as const) {
        // Few distinct values, so that ties are common.
        const zv = values(B * C2, seed, 'full', 0.1).map((v) => (Number.isFinite(v) ? Math.round(v) : v));
        const y = Array.from({ length: B }, (_, i) => (i * 7 + seed) % C2);
        for (const rule of ['max', 'argmax'] as const) expect(await hits(zv, y, C2, rule)).toEqual(await hits(zv, y, C2, rule, cpu));
      }
    } finally {
      rl.setNumericsCheck(true);
    }
  });
});
