// Buffers reused within one unsubmitted command buffer (gpu/pool.ts `acquire(…, inBatch)`): a kernel
// may overwrite a buffer an earlier dispatch of the same batch read, because dispatches run in order;
// an upload may not (writeBuffer runs before the batch), so the runtime submits first.
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import type { GpuRuntime } from '../src/gpu/runtime.js';

async function runtime(): Promise<GpuRuntime> {
  const { runtime: rt } = await rl.init();
  return rt!;
}

describe('in-batch buffer reuse', () => {
  it('a chain of 60 ops in one batch reuses freed buffers and computes what the CPU computes', async () => {
    const rt = await runtime();
    rt.flush();
    const n = 1000;
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    let x = rl.tensor(data, [n]);
    // Operands made before the batch: a scalar operand would be an upload, which takes a fresh buffer.
    const cs = [-2, -1, 0, 1, 2].map((c) => rl.full([n], c));
    const half = rl.full([n], 0.5);
    rl.mul(x, half).dispose(); // warm the size class
    await rt.sync();
    const submits = rt.submits;
    const expected = Float64Array.from(data);
    let reused = 0;
    for (let k = 0; k < 60; k++) {
      const c = (k % 5) - 2;
      const y = k % 2 === 0 ? rl.add(x, cs[k % 5]!) : rl.mul(x, half);
      if (rt.pool.reusedInBatch.has(y.storage<GPUBuffer>())) reused++;
      x.dispose(); // released while the batch still reads it: pending, and handed out again
      x = y;
      for (let i = 0; i < n; i++) expected[i] = k % 2 === 0 ? expected[i]! + c : expected[i]! * 0.5;
    }
    expect(rt.submits).toBe(submits); // still one open batch
    // Every op but the first took the buffer its input had (the uniforms are new buffers regardless).
    expect(rt.pool.reusedInBatch.size).toBeGreaterThanOrEqual(1);
    expect(reused).toBeGreaterThanOrEqual(59);
    const got = await x.data();
    for (const t of [x, half, ...cs]) t.dispose();
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(expected[i]!, 4);
  });

  it('an upload into a buffer the batch still uses submits the batch first', async () => {
    const rt = await runtime();
    await rt.sync();
    const n = 256;
    const a = rl.tensor(Float32Array.from({ length: n }, (_, i) => i), [n]);
    const t = rl.add(a, a); // a kernel's output buffer
    const u = rl.mul(t, 2); // recorded: reads t's buffer when the batch runs
    const tBuf = t.storage<GPUBuffer>();
    t.dispose();
    const submits = rt.submits;
    const buf = rt.createStorage(n * 4, 'test.reuse');
    expect(buf).toBe(tBuf); // handed out again before the submit
    expect(rt.pool.reusedInBatch.has(buf)).toBe(true);
    rt.upload(buf, new Float32Array(n).fill(-1));
    expect(rt.submits).toBe(submits + 1); // the batch went first
    const got = Array.from(await u.data());
    expect(got).toEqual(Array.from({ length: n }, (_, i) => 4 * i)); // not -2: u read t's values
    rt.releaseStorage(buf);
    a.dispose();
    u.dispose();
  });

  it('tensors made from host data never take a buffer the batch still uses', async () => {
    const rt = await runtime();
    await rt.sync();
    const a = rl.tensor(new Float32Array(64).fill(1), [64]);
    const t = rl.add(a, a);
    const u = rl.mul(t, 3);
    t.dispose();
    const submits = rt.submits;
    const b = rl.tensor(new Float32Array(64).fill(7), [64]); // fromData: a free or fresh buffer, no submit
    expect(rt.submits).toBe(submits);
    expect(Array.from(await u.data())).toEqual(new Array(64).fill(6));
    expect(Array.from(await b.data())).toEqual(new Array(64).fill(7));
    for (const x of [a, u, b]) x.dispose();
  });
});
