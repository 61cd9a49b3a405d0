import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { engine } from '../src/engine.js';

describe('autograd', () => {
  it('fan-out accumulates gradients', async () => {
    const x = rl.tensor([1, 2, 3]);
    // f = Σ (x·x + 3x) → df/dx = 2x + 3
    const [g] = rl.grad(() => rl.sum(rl.add(rl.mul(x, x), rl.mul(x, 3))), [x]);
    expect(Array.from(await g!.data())).toEqual([5, 7, 9]);
    x.dispose();
    g!.dispose();
  });

  it('gradients for parameters and inputs together', async () => {
    const w = rl.tensor([[1, 2], [3, 4]]);
    const x = rl.tensor([[1], [-1]]);
    const { value, grads } = rl.valueAndGrad(() => rl.sum(rl.matmul(w, x)), [w, x]);
    expect(await value.item()).toBe(-2);
    expect(await grads[0]!.array()).toEqual([[1, -1], [1, -1]]);
    expect(await grads[1]!.array()).toEqual([[4], [6]]);
    for (const t of [w, x, value, ...grads]) t.dispose();
  });

  it('a long chain (20,000 ops) backpropagates without overflowing the stack', async () => {
    const x = rl.tensor([0.5]);
    const [g] = rl.grad(() => {
      let y = x;
      for (let i = 0; i < 20_000; i++) y = rl.affine(y, 1, 0.0001);
      return rl.sum(y);
    }, [x]);
    expect(await g!.item()).toBeCloseTo(1, 5);
    x.dispose();
    g!.dispose();
  });

  it('unused inputs get zero gradients; noGrad records nothing', async () => {
    const x = rl.tensor([1, 2]);
    const y = rl.tensor([3, 4]);
    const [gx, gy] = rl.grad(() => rl.sum(rl.mul(x, rl.noGrad(() => rl.mul(y, 2)))), [x, y]);
    expect(Array.from(await gx!.data())).toEqual([6, 8]);
    expect(Array.from(await gy!.data())).toEqual([0, 0]);
    for (const t of [x, y, gx!, gy!]) t.dispose();
  });

  it('a binary op computes no gradient for an operand that needs none (a bias during an attack)', async () => {
    const rt = engine.runtime!;
    const x = rl.tensor(Float32Array.from({ length: 64 * 10 }, (_, i) => i % 7), [64, 10]);
    const b = rl.tensor(Float32Array.from({ length: 10 }, (_, i) => i), [10]);
    const count = (wrt: rl.Tensor[]): number => {
      const d0 = rt.dispatches;
      rl.grad(() => rl.sum(rl.mul(rl.add(x, b), x)), wrt).forEach((g) => g!.dispose());
      return rt.dispatches - d0;
    };
    const both = count([x, b]);
    const onlyX = count([x]);
    // b's gradient is a sum of g over the batch (a reduction): skipped when only x is asked for.
    expect(onlyX).toBeLessThan(both);
    const [gx, gb] = rl.grad(() => rl.sum(rl.mul(rl.add(x, b), x)), [x, b]);
    const [gx2] = rl.grad(() => rl.sum(rl.mul(rl.add(x, b), x)), [x]);
    expect(Array.from(await gx2!.data())).toEqual(Array.from(await gx!.data()));
    for (const t of [x, b, gx!, gb!, gx2!]) t.dispose();
  });

  it('a non-scalar objective is refused with a clear error', () => {
    const x = rl.tensor([1, 2]);
    expect(() => rl.grad(() => rl.mul(x, 2), [x])).toThrow(/one value, got shape \[2\]/);
    x.dispose();
  });

  it('tidy disposes temporaries but keeps what is returned', async () => {
    const before = rl.memory().tensors;
    const x = rl.tensor([1, 2, 3]);
    const y = rl.tidy(() => rl.exp(rl.mul(rl.add(x, 1), 2)));
    expect(rl.memory().tensors).toBe(before + 2);
    x.dispose();
    y.dispose();
    expect(rl.memory().tensors).toBe(before);
  });

  it('a tensor used after dispose raises a clear error', () => {
    const x = rl.tensor([1]);
    x.dispose();
    expect(() => rl.exp(x)).toThrow(/used after dispose/);
  });

  it('tidy inside valueAndGrad keeps what backward still needs', async () => {
    const x = rl.tensor([0.3, -1.2, 2.0]);
    const [g] = rl.grad(() => rl.tidy(() => rl.sum(rl.sigmoid(rl.mul(x, x)))), [x]);
    const s = (v: number) => 1 / (1 + Math.exp(-v * v));
    const want = [0.3, -1.2, 2.0].map((v) => s(v) * (1 - s(v)) * 2 * v);
    const got = Array.from(await g!.data());
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    x.dispose();
    g!.dispose();
  });
});

describe('numerics check', () => {
  it('a NaN leaving the GPU names the op that produced it', async () => {
    const x = rl.tensor([1, -1]);
    const y = rl.log(x);
    await expect(y.data()).rejects.toThrow(/log: produced NaN at flat index 1 of \[2\]/);
    x.dispose();
    y.dispose();
  });
});
