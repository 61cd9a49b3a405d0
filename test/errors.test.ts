// Bad input and bad luck: each raises a typed error that names the op, the shapes and the fix,
// before any GPU work, and the device keeps working afterwards. A lost device raises
// DeviceLostError instead of hanging.
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { createWebGpuBackend } from '../src/backend/webgpu.js';
import { describe as describeAdapter } from '../src/gpu/device.js';
import { GpuRuntime } from '../src/gpu/runtime.js';

/** The error `fn` throws (fails the test if it throws nothing). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  expect.fail('expected an error');
}

/** The device still computes correctly: exp of a few values, against Math.exp. */
async function deviceWorks(): Promise<void> {
  const x = rl.tensor([0, 1, -2.5]);
  const y = rl.exp(x);
  const v = await y.data();
  x.dispose();
  y.dispose();
  expect(Array.from(v).map((a, i) => Math.abs(a - Math.exp([0, 1, -2.5][i]!)) < 1e-5)).toEqual([true, true, true]);
}

describe('bad input raises clear errors before GPU work', () => {
  it('shape mismatch names the op, both shapes and the fix', async () => {
    const a = rl.zeros([2, 3]);
    const b = rl.zeros([4]);
    const e = thrown(() => rl.add(a, b));
    expect(e).toBeInstanceOf(rl.ShapeError);
    expect(e.message).toMatch(/^add: /);
    expect(e.message).toContain('[2, 3]');
    expect(e.message).toContain('[4]');
    expect(e.message).toMatch(/reshape/);
    const c = rl.zeros([4, 2]);
    const m = thrown(() => rl.matmul(a, c));
    expect(m).toBeInstanceOf(rl.ShapeError);
    expect(m.message).toMatch(/matmul/);
    expect(m.message).toContain('[2, 3]');
    for (const t of [a, b, c]) t.dispose();
    await deviceWorks(); // and the afterEach check finds nothing left behind by the failed ops
  });

  it('wrong dtype names the op, the dtype and the conversion', async () => {
    const i = rl.tensor([1, 2, 3], [3], { dtype: 'int32' });
    const e = thrown(() => rl.exp(i));
    expect(e).toBeInstanceOf(rl.DTypeError);
    expect(e.message).toMatch(/^exp: /);
    expect(e.message).toContain('int32');
    expect(e.message).toContain('float32');
    expect(thrown(() => rl.tensor([1.5], [1], { dtype: 'int32' }))).toBeInstanceOf(rl.ValueError);
    i.dispose();
    await deviceWorks();
  });

  it('empty tensors are refused with the shape', () => {
    const e = thrown(() => rl.zeros([0, 3]));
    expect(e).toBeInstanceOf(rl.ShapeError);
    expect(e.message).toMatch(/empty tensor of shape \[0, 3\]/);
    expect(thrown(() => rl.tensor([], [0]))).toBeInstanceOf(rl.ShapeError);
    expect(thrown(() => rl.zeros([2, -1]))).toBeInstanceOf(rl.ShapeError);
  });

  it('use after dispose names the tensor, its shape and the fix, for ops and for readback', async () => {
    const x = rl.ones([2, 2]);
    x.dispose();
    const e = thrown(() => rl.exp(x));
    expect(e).toBeInstanceOf(rl.DisposedError);
    // (The op layer reads `x.backend` first, so the message names 'backend' rather than 'exp'.)
    expect(e.message).toMatch(/tensor #\d+ \[2, 2\] was used after dispose\(\)/);
    expect(e.message).toContain('keep(t)');
    const r = await x.data().catch((err: unknown) => err as Error);
    expect(r).toBeInstanceOf(rl.DisposedError);
    expect((r as Error).message).toMatch(/^data: tensor #/);
    // A tensor from a finished tidy scope is disposed too.
    let temp: rl.Tensor | null = null;
    rl.tidy(() => {
      temp = rl.ones([3]);
    });
    expect(thrown(() => rl.neg(temp!))).toBeInstanceOf(rl.DisposedError);
    x.dispose(); // a second dispose is harmless
  });

  it('a tensor over the device limits raises LimitError, without allocating it or losing the device', async () => {
    const { adapter } = await rl.init();
    const maxBytes = Math.min(adapter!.limits.maxStorageBufferBindingSize!, adapter!.limits.maxBufferSize!);
    const e = thrown(() => rl.zeros([maxBytes / 4 + 1]));
    expect(e).toBeInstanceOf(rl.LimitError);
    expect(e.message).toContain('maxStorageBufferBindingSize');
    expect(e.message).toContain(String(maxBytes));
    // 2^32 elements (16 GiB): refused from the limits, before any host or GPU allocation.
    expect(thrown(() => rl.zeros([2 ** 20, 2 ** 12]))).toBeInstanceOf(rl.LimitError);
    expect(thrown(() => rl.tensor(new Float32Array(maxBytes / 4 + 8)))).toBeInstanceOf(rl.LimitError);
    // An op whose *output* would be over the limit (a broadcast outer sum).
    const side = Math.ceil(Math.sqrt(maxBytes / 4)) + 1;
    const col = rl.ones([side, 1]);
    const row = rl.ones([1, side]);
    expect(thrown(() => rl.add(col, row))).toBeInstanceOf(rl.LimitError);
    col.dispose();
    row.dispose();
    await deviceWorks();
  });
});

describe('a lost device', () => {
  /** A second device with its own runtime, so the shared engine of this file is not touched. */
  async function separateDevice() {
    const adapter = (await rl.nodeGpu().requestAdapter())!;
    const device = await adapter.requestDevice();
    const rt = new GpuRuntime(device, describeAdapter(adapter.info, device));
    return { device, rt, backend: createWebGpuBackend(rt) };
  }

  it('after device.destroy() the next op raises DeviceLostError', async () => {
    const { device, backend } = await separateDevice();
    const x = rl.tensor([1, 2, 3], [3], { backend });
    const y = rl.exp(x);
    expect(Array.from(await y.data()).map((v) => Math.round(v * 1000))).toEqual([2718, 7389, 20086]);
    device.destroy();
    await device.lost;
    const e = thrown(() => rl.exp(x));
    expect(e).toBeInstanceOf(rl.DeviceLostError);
    expect(e.message).toMatch(/^unary\.exp|exp/);
    expect(e.message).toMatch(/device was lost \(destroyed/);
    expect(e.message).toContain('init()');
    expect(thrown(() => rl.tensor([1], [1], { backend }))).toBeInstanceOf(rl.DeviceLostError);
    await expect(y.data()).rejects.toBeInstanceOf(rl.DeviceLostError);
    x.dispose();
    y.dispose();
  });

  it('work queued right before the loss fails at readback with DeviceLostError, not a hang', async () => {
    const { device, backend } = await separateDevice();
    const x = rl.tensor([1, 2, 3], [3], { backend });
    device.destroy(); // the 'lost' promise has not resolved yet: the op is still recorded
    const y = rl.exp(x);
    try {
      await expect(y.data()).rejects.toBeInstanceOf(rl.DeviceLostError);
    } finally {
      x.dispose();
      y.dispose();
    }
  });

  it('the shared engine is unaffected by the other device', async () => {
    await deviceWorks();
  });
});
