// Sharing buffers with an app that owns the device: fromGPUBuffer wraps the app's buffer without a
// copy and never frees it; gpuBuffer exposes the engine's buffer after submitting pending work.
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';

const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01;

async function device(): Promise<GPUDevice> {
  const { runtime } = await rl.init();
  return runtime!.device;
}

/** The app's own readback of a buffer (copy + map), independent of the engine. */
async function readBuffer(dev: GPUDevice, buf: GPUBuffer, count: number): Promise<number[]> {
  const staging = dev.createBuffer({ size: count * 4, usage: MAP_READ | COPY_DST });
  const enc = dev.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, count * 4);
  dev.queue.submit([enc.finish()]);
  await staging.mapAsync(1);
  const out = Array.from(new Float32Array(staging.getMappedRange().slice(0)));
  staging.destroy();
  return out;
}

describe('fromGPUBuffer / gpuBuffer', () => {
  it("wraps the app's buffer without a copy, computes on it, and leaves it to the app", async () => {
    const dev = await device();
    const values = [1, -2, 3, 0.5, 4, -6];
    const buf = dev.createBuffer({ size: 64, usage: STORAGE | COPY_SRC | COPY_DST });
    dev.queue.writeBuffer(buf, 0, new Float32Array(values));
    const before = rl.memory();
    const x = rl.fromGPUBuffer(buf, [2, 3]);
    expect(x.storage()).toBe(buf); // the very buffer: no copy
    expect(rl.memory().gpuBuffers).toBe(before.gpuBuffers); // not counted as the engine's
    const y = rl.tidy(() => rl.sum(rl.mul(x, x), 1));
    expect(Array.from(await y.data())).toEqual([1 + 4 + 9, 0.25 + 16 + 36]);
    expect(Array.from(await x.data())).toEqual(values);
    x.dispose();
    y.dispose();
    // Still the app's: not destroyed, not pooled, still holding its values.
    expect(await readBuffer(dev, buf, 6)).toEqual(values);
    const z = rl.zeros([16]); // a fresh engine buffer is never the app's
    expect(z.storage()).not.toBe(buf);
    z.dispose();
    buf.destroy();
  });

  it("gpuBuffer hands out the engine's buffer with the results submitted", async () => {
    const dev = await device();
    const a = rl.tensor([1, 2, 3, 4]);
    const b = rl.affine(a, 2, 1); // recorded, not yet submitted
    const buf = rl.gpuBuffer(b);
    expect(await readBuffer(dev, buf, 4)).toEqual([3, 5, 7, 9]);
    a.dispose();
    b.dispose();
  });

  it('refuses buffers it cannot use, naming the fix', async () => {
    const dev = await device();
    const noCopy = dev.createBuffer({ size: 16, usage: STORAGE });
    const e1 = (() => { try { rl.fromGPUBuffer(noCopy, [4]); } catch (e) { return e as Error; } })();
    expect(e1).toBeInstanceOf(rl.ValueError);
    expect(e1!.message).toMatch(/fromGPUBuffer: .*COPY_SRC/);
    const small = dev.createBuffer({ size: 16, usage: STORAGE | COPY_SRC });
    const e2 = (() => { try { rl.fromGPUBuffer(small, [5]); } catch (e) { return e as Error; } })();
    expect(e2).toBeInstanceOf(rl.ShapeError);
    expect(e2!.message).toContain('[5]');
    const c = rl.tensor([1, 2], [2], { backend: rl.cpu });
    expect(() => rl.gpuBuffer(c)).toThrow(rl.ValueError);
    c.dispose();
    noCopy.destroy();
    small.destroy();
  });
});
