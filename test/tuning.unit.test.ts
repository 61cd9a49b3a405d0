// The tuning table, GPU-free: keys by adapter identity and shape bucket, and a parser that refuses
// anything it does not know and never applies another adapter's table.
import { afterEach, describe, expect, it } from 'vitest';
import { FormatError } from '../src/errors.js';
import { adapterKey, clearTuning, exportTuning, importTuning, recordTuning, shapeBucket, tunedVariant } from '../src/kernels/tuning.js';
import type { AdapterDescription } from '../src/gpu/device.js';

const adapter = (description: string): AdapterDescription => ({ runtime: 'node 20.20.2', vendor: 'mesa', architecture: '', device: 'llvmpipe', description, features: [], limits: {} });
const lavapipe = adapter('llvmpipe: Mesa 25.0.7');
const swiftshader = adapter('SwiftShader driver 5.0.0');

afterEach(clearTuning);

describe('tuning table', () => {
  it('buckets dims to powers of two between 4 and 4096', () => {
    expect(shapeBucket([1, 3, 4])).toBe('4x4x4');
    expect(shapeBucket([5, 64, 65])).toBe('8x64x128');
    expect(shapeBucket([100000, 1024])).toBe('4096x1024');
  });

  it('keys adapters by runtime name and identity, not by runtime version', () => {
    expect(adapterKey(lavapipe)).toBe(adapterKey({ ...lavapipe, runtime: 'node 22.1.0' }));
    expect(adapterKey(lavapipe)).not.toBe(adapterKey(swiftshader));
    expect(adapterKey(lavapipe)).not.toBe(adapterKey({ ...lavapipe, runtime: 'deno 2.9.6' }));
  });

  it('answers for the shapes of a recorded bucket on that adapter only', () => {
    recordTuning(lavapipe, { op: 'matmul', bucket: '256x256x256', variant: 'subgroup-ra2-nv1', ms: { tile4: 9, 'subgroup-ra2-nv1': 3 } });
    expect(tunedVariant(lavapipe, 'matmul', [200, 256, 129])).toBe('subgroup-ra2-nv1');
    expect(tunedVariant(lavapipe, 'matmul', [512, 256, 256])).toBeUndefined();
    expect(tunedVariant(swiftshader, 'matmul', [256, 256, 256])).toBeUndefined();
  });

  it('round-trips through JSON, and a table of another adapter is not applied', () => {
    recordTuning(lavapipe, { op: 'matmul', bucket: '64x1024x256', variant: 'tile4', ms: { tile4: 1 } });
    const file = JSON.parse(JSON.stringify(exportTuning()));
    clearTuning();
    expect(importTuning(file, swiftshader)).toEqual({ applied: false, reason: expect.stringContaining('SwiftShader') });
    expect(tunedVariant(lavapipe, 'matmul', [64, 1024, 256])).toBeUndefined();
    expect(importTuning(file, lavapipe)).toEqual({ applied: true });
    expect(tunedVariant(lavapipe, 'matmul', [64, 1024, 256])).toBe('tile4');
  });

  it('refuses what it does not know, naming it', () => {
    recordTuning(lavapipe, { op: 'matmul', bucket: '4x4x4', variant: 'tile4', ms: {} });
    const good = exportTuning()!;
    const bad: [unknown, RegExp][] = [
      [null, /not an object/],
      [[], /not an object/],
      [{ ...good, extra: 1 }, /unknown field 'extra'/],
      [{ ...good, version: 2 }, /version 2/],
      [{ ...good, records: [{ ...good.records[0], op: 'conv' }] }, /unknown op "conv"/],
      [{ ...good, records: [{ ...good.records[0], variant: 'fast' }] }, /unknown matmul variant "fast"/],
      [{ ...good, records: [{ ...good.records[0], bucket: '4x4;rm' }] }, /bucket/],
      [{ ...good, records: [{ ...good.records[0], ms: { tile4: '1' } }] }, /ms is not a map of numbers/],
      [{ ...good, records: [{ op: 'matmul', bucket: '4x4x4', variant: 'tile4' }] }, /lacks 'ms'/],
    ];
    for (const [json, msg] of bad) {
      expect(() => importTuning(json, lavapipe), JSON.stringify(json)).toThrow(FormatError);
      expect(() => importTuning(json, lavapipe), JSON.stringify(json)).toThrow(msg);
    }
  });
});
