// Autotuning on the live adapter: every variant the device can run is timed and checked against the
// first, the fastest is recorded per bucket and then chosen by pickMatmul, and the tuned choice (and
// the portable fallback a foreign table leaves) computes the float64 oracle's product.
import { afterEach, describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { engine } from '../src/engine.js';
import { canUseSubgroupMatmul, pickMatmul } from '../src/kernels/matmul.js';
import { convVariants } from '../src/kernels/conv.js';
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

  it('times every runnable convolution kernel, forward and input gradient, and the launchers then use the fastest', async () => {
    const records = await rl.autotune({ conv: [[2, 8, 9, 13, 16]] }, { reps: 1 });
    expect(records.map((r) => `${r.op} ${r.bucket}`)).toEqual(['conv2d 4x8x16x16x16', 'conv2dInput 4x16x16x16x8']);
    for (const r of records) {
      expect(Object.keys(r.ms).sort()).toEqual(canUseSubgroupMatmul(rt) ? ['generic', 'rows', 'rows-sg4', 'rows-sg8'] : ['generic', 'rows']);
      expect(r.ms[r.variant]).toBe(Math.min(...Object.values(r.ms)));
    }
    // Pin each kernel by a table and check which one runs (by its entry point) and what it computes.
    const entries = { 'rows-sg8': 'conv2d_rows3_sg8', 'rows-sg4': 'conv2d_rows3_sg', rows: 'conv2d_rows3', generic: 'conv2d_forward' } as const;
    const seen: string[] = [];
    const dispatch = rt.dispatch.bind(rt);
    rt.dispatch = ((spec: { entry: string }) => (seen.push(spec.entry), dispatch(spec as never))) as typeof rt.dispatch;
    try {
      for (const variant of ['rows-sg8', 'rows-sg4', 'rows', 'generic'] as const) {
        recordTuning(rt.adapter, { op: 'conv2d', bucket: '4x8x16x16x16', variant, ms: {} });
        recordTuning(rt.adapter, { op: 'conv2dInput', bucket: '4x16x16x16x8', variant, ms: {} });
        seen.length = 0;
        await checkOp(`tuned ${variant}`, (x, w) => rl.conv2d(x, w, null, { padding: 1 }), [{ shape: [3, 8, 11, 13] }, { shape: [16, 8, 3, 3] }], { tol: { rtol: 1e-4, atol: 1e-4 } });
        const want = canUseSubgroupMatmul(rt) || !variant.includes('sg') ? entries[variant] : 'conv2d_rows3';
        expect(seen.some((e) => e === want || (want === 'conv2d_rows3_sg8' && e === 'conv2d_rows3_sg8_v4')), `${variant}: ran ${seen.join(', ')}`).toBe(true);
      }
      // Without subgroups a table naming a subgroup kernel falls back to the plain row kernel.
      convVariants.subgroups = false;
      recordTuning(rt.adapter, { op: 'conv2d', bucket: '4x8x16x16x16', variant: 'rows-sg8', ms: {} });
      seen.length = 0;
      await checkOp('sg8 without subgroups', (x, w) => rl.conv2d(x, w, null, { padding: 1 }), [{ shape: [3, 8, 11, 13] }, { shape: [16, 8, 3, 3] }], { tol: { rtol: 1e-4, atol: 1e-4 } });
      expect(seen).toContain('conv2d_rows3');
    } finally {
      convVariants.subgroups = true;
      rt.dispatch = dispatch;
    }
  });

  it('bad input is refused before any GPU work', async () => {
    await expect(rl.autotune({ conv: [[2, 8, 9, 13]] as never })).rejects.toThrow(/5 positive integers/);
    await expect(rl.autotune({ matmul: [[0, 4, 4]] })).rejects.toThrow(/positive integers/);
    await expect(rl.autotune({ matmul: [[4, 4, 4]] }, { reps: 0 })).rejects.toThrow(/reps must be an integer/);
  });
});
