// src/gpu/instrument.ts: the counters and the wall-time split of a piece of work on the runtime, and
// the per-dispatch replay timing that stands in for timestamp queries (bench/profile.ts uses both).
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { engine } from '../src/engine.js';
import { instrument, timeDispatches } from '../src/gpu/instrument.js';

const rt = engine.runtime!;
const spin = (ms: number): void => {
  const t0 = performance.now();
  while (performance.now() - t0 < ms);
};
const sumParts = (t: ReturnType<ReturnType<typeof instrument>['stop']>['times']): number =>
  t.encodeMs + t.uploadMs + t.submitMs + t.waitMs + t.opJsMs + t.otherJsMs;

describe('instrument', () => {
  it('counts what the work does, splits its whole wall time, and unwraps the runtime on stop', async () => {
    await rt.sync();
    const d0 = rt.dispatches;
    const s0 = rt.submits;
    const inst = instrument(rt);
    const a = rl.tensor(Float32Array.from({ length: 1000 }, (_, i) => i), [1000]);
    const b = rl.tensor(new Float32Array(1000).fill(2), [1000]);
    const s = rl.add(a, b);
    const c = rl.mul(s, b);
    const v = await c.data();
    const { counts, times } = inst.stop();
    for (const t of [a, b, s, c]) t.dispose();
    expect(v[999]).toBe(2002);
    expect(counts.uploads).toBe(2);
    expect(counts.uploadBytes).toBe(8000);
    expect(counts.dispatches).toBe(rt.dispatches - d0);
    expect(counts.dispatches).toBeGreaterThanOrEqual(2);
    expect(counts.submits).toBe(rt.submits - s0);
    expect(counts.submits).toBeGreaterThanOrEqual(1);
    expect(counts.readbacks).toBe(1);
    expect(counts.readbackBytes).toBe(4000);
    for (const [k, x] of Object.entries(times)) expect(x, k).toBeGreaterThanOrEqual(0);
    expect(times.waitMs).toBeGreaterThan(0);
    expect(times.encodeMs).toBeGreaterThan(0);
    expect(sumParts(times)).toBeCloseTo(times.wallMs, 6);
    for (const m of ['dispatch', 'copy', 'upload', 'flush', 'read', 'sync', 'throttle', 'releaseStorage']) {
      expect(Object.prototype.hasOwnProperty.call(rt, m), m).toBe(false);
    }
  });

  it('charges JS to the op it prepares or to other JS, and waits to wait', async () => {
    const a = rl.tensor(new Float32Array(64).fill(1), [64]);
    await rt.sync();
    const inst = instrument(rt);
    spin(30); // ends in a dispatch: op JS
    const b = rl.add(a, a);
    spin(30); // ends in a queue wait: other JS
    await rt.sync();
    const { times, counts } = inst.stop();
    b.dispose();
    a.dispose();
    expect(times.opJsMs).toBeGreaterThanOrEqual(30);
    expect(times.opJsMs).toBeLessThan(times.wallMs - 30);
    expect(times.otherJsMs).toBeGreaterThanOrEqual(30);
    expect(counts.queueWaits).toBe(1);
    expect(counts.readbacks).toBe(0);
    expect(sumParts(times)).toBeCloseTo(times.wallMs, 6);
  });

  it('refuses a second instrument on the same runtime, and stop() is idempotent', () => {
    const inst = instrument(rt);
    try {
      expect(() => instrument(rt)).toThrow(/wrapped already/);
    } finally {
      const r1 = inst.stop();
      expect(inst.stop()).toBe(r1);
    }
    expect(() => instrument(rt).stop()).not.toThrow();
  });

  it('captures dispatches with their buffers held, replays each alone, then releases everything', async () => {
    const n = 384;
    const x = rl.tensor(Float32Array.from({ length: n * n }, (_, i) => (i % 7) / 7), [n, n]);
    const small = rl.tensor(new Float32Array(16).fill(1), [16]);
    const warm = rl.matmul(x, x); // compiles outside the capture
    await warm.data();
    warm.dispose();
    await rt.sync();
    const liveBefore = rl.memory().gpuBuffers;
    const inst = instrument(rt, { capture: true });
    const m = rl.matmul(x, x);
    const s = rl.add(small, small);
    await m.data();
    m.dispose(); // held back: the replay still needs the buffer
    s.dispose();
    const { dispatches, counts } = inst.stop();
    expect(rl.memory().gpuBuffers).toBeGreaterThan(liveBefore);
    expect(dispatches.length).toBe(counts.dispatches);
    const kernels = await timeDispatches(rt, dispatches);
    inst.release();
    expect(rl.memory().gpuBuffers).toBe(liveBefore);
    expect(kernels.reduce((a, k) => a + k.count, 0)).toBe(dispatches.length);
    const mm = kernels.find((k) => k.kernel.startsWith('matmul'))!;
    const add = kernels.find((k) => k.kernel.startsWith('elementwise'))!;
    expect(mm.ms).toBeGreaterThan(add.ms);
    if (rt.canProfile) {
      // The replayed matmul against its timestamp-query time: the same order of magnitude.
      rt.startProfile();
      const m2 = rl.matmul(x, x);
      await rt.sync();
      const ts = (await rt.stopProfile()).find((k) => k.kernel === mm.kernel)!;
      m2.dispose();
      expect(mm.ms / ts.ms).toBeGreaterThan(0.33);
      expect(mm.ms / ts.ms).toBeLessThan(3);
    }
    x.dispose();
    small.dispose();
  });
});
