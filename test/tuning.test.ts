// Autotuning on the live adapter: every variant the device can run is timed and checked against the
// first, the fastest is recorded per bucket and then chosen by pickMatmul, and the tuned choice (and
// the portable fallback a foreign table leaves) computes the float64 oracle's product.
import { afterEach, describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { engine } from '../src/engine.js';
import { canUseSubgroupMatmul, pickMatmul } from '../src/kernels/matmul.js';
import { clearTuning, recordTuning } from '../src/kernels/tuning.js';
import { checkOp } from './helpers/oracle.js';

const rt = engine.runtime!;

afterEach(clearTuning);

describe('autotune', () => {
  it('times every runnable matmul tile, records the fastest, and pickMatmul then uses it', async () => {
    const records = await rl.autotune({ matmul: [[64, 96, 128], [7, 13, 5]] }, { reps: 2 });
    expect(records.map((r) => r.bucket)).toEqual(['64x128x128', '8x16x8']);
    for (const r of records) {
      expect(Object.keys(r.ms)).toContain('tile4');
      expect(Object.keys(r.ms).length).toBe(canUseSubgroupMatmul(rt) ? 5 : 1);
      const best = Math.min(...Object.values(r.ms));
      expect(r.ms[r.variant]).toBe(best);
    }
    const chosen = pickMatmul(rt, 64, 96, 128);
    const name = records[0]!.variant;
    expect(chosen.kind === 'tile4' ? 'tile4' : `subgroup-ra${(chosen as { ra: number }).ra}-nv${(chosen as { nv: number }).nv}`).toBe(name);
    const file = rl.exportTuning()!;
    expect(file.records.length).toBe(2);
    expect(rl.importTuning(file)).toEqual({ applied: true });
  });

  it('a tuned choice and the fallback both compute the oracle product', async () => {
    for (const variant of ['tile4', 'subgroup-ra1-nv2', 'subgroup-ra2-nv2']) {
      recordTuning(rt.adapter, { op: 'matmul', bucket: '64x128x64', variant, ms: {} });
      // aligned (vec4 loads) and not: 60 x 100 x 40 and 61 x 99 x 37 share the bucket
      await checkOp(`tuned ${variant} aligned`, (a, b) => rl.matmul(a, b), [{ shape: [60, 100] }, { shape: [100, 40] }], { tol: { rtol: 1e-4, atol: 1e-4 } });
      await checkOp(`tuned ${variant} unaligned`, (a, b) => rl.matmul(a, b), [{ shape: [61, 99] }, { shape: [99, 37] }], { tol: { rtol: 1e-4, atol: 1e-4 } });
    }
  });

  it('bad input is refused before any GPU work', async () => {
    await expect(rl.autotune({ matmul: [[0, 4, 4]] })).rejects.toThrow(/positive integers/);
    await expect(rl.autotune({ matmul: [[4, 4, 4]] }, { reps: 0 })).rejects.toThrow(/reps must be an integer/);
  });
});
