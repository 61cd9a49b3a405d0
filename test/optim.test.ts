import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { Adam, AdamW, SGD, clipGradNorm, type Optimizer } from '../src/optim/index.js';
import { expectClose, randomValues } from './helpers/oracle.js';

type Make = (params: [string, rl.Tensor][]) => Optimizer;

// Shapes: a scalar-ish bias, a prime-sized vector, one past a workgroup multiple, and one large
// enough for 4 elements per invocation (4,757 = 1,189 · 4 + 1: the last invocation's remainder);
// then multiples of 4 elements, which take the vec4 kernels: 4 (one vec4), 33 · 4 (past one
// workgroup) and 130 · 128 = 4,160 vec4s (4 vec4s per invocation, with a remainder).
const SHAPES = [[1], [37], [5, 29], [71, 67], [4], [4, 33], [130, 128]];

/** Run `steps` updates with the same parameters and gradients on the GPU and the CPU oracle. */
async function compare(make: Make, steps = 5, lrs?: number[]): Promise<void> {
  const run = async (backend: rl.Backend<any>) => {
    const params = SHAPES.map((s, i) => [`p${i}`, rl.tensor(randomValues(s, 10 + i), s, { backend })] as [string, rl.Tensor]);
    const opt = make(params);
    for (let k = 0; k < steps; k++) {
      if (lrs) opt.lr = lrs[k]!;
      const grads = SHAPES.map((s, i) => rl.tensor(randomValues(s, 100 * k + i), s, { backend }));
      opt.step(params.map(([, p]) => p), grads);
      grads.forEach((g) => g.dispose());
    }
    const values = await Promise.all(params.map(([, p]) => p.data()));
    const state = await Promise.all(opt.state().map(async ([n, t]) => [n, Array.from(await t.data())] as const));
    params.forEach(([, p]) => p.dispose());
    opt.dispose();
    return { values: values.map((v) => Array.from(v)), state };
  };
  const gpu = await run(rl.getBackend());
  const cpu = await run(rl.cpu);
  gpu.values.forEach((v, i) => expectClose(v, cpu.values[i]!, { rtol: 1e-4, atol: 1e-5 }, `param ${i}`));
  expect(gpu.state.map(([n]) => n)).toEqual(cpu.state.map(([n]) => n));
  gpu.state.forEach(([n, v], i) => expectClose(v, cpu.state[i]![1], { rtol: 1e-4, atol: 1e-6 }, n));
}

describe('optimizer kernels against the float64 oracle (several steps)', () => {
  it('SGD plain, with weight decay', () => compare((p) => new SGD(p, { lr: 0.1, weightDecay: 5e-4 })));
  it('SGD momentum', () => compare((p) => new SGD(p, { lr: 0.05, momentum: 0.9 })));
  it('SGD momentum, dampening, weight decay, changing lr', () =>
    compare((p) => new SGD(p, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-2 }), 5, [0.1, 0.05, 0.02, 0.2, 0.01]));
  it('SGD Nesterov', () => compare((p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })));
  it('Adam', () => compare((p) => new Adam(p, { lr: 0.01 })));
  it('Adam with L2 weight decay', () => compare((p) => new Adam(p, { lr: 0.01, weightDecay: 0.1, beta1: 0.8, beta2: 0.99 })));
  it('AdamW', () => compare((p) => new AdamW(p, { lr: 0.01, weightDecay: 0.1 })));
  it('state names follow PyTorch keys', () => {
    const w = rl.zeros([2, 3]);
    const sgd = new SGD([['0.weight', w]], { lr: 0.1, momentum: 0.9 });
    const adam = new AdamW([['0.weight', w]], {});
    expect(sgd.state().map(([n]) => n)).toEqual(['momentum_buffer.0.weight']);
    expect(adam.state().map(([n]) => n)).toEqual(['exp_avg.0.weight', 'exp_avg_sq.0.weight']);
    expect(adam.weightDecay).toBe(0.01);
    sgd.dispose();
    adam.dispose();
    w.dispose();
  });
});

describe('optimizer updates by hand', () => {
  it('SGD momentum: two steps of p ← p − lr·buf', async () => {
    const p = rl.tensor([1, -2]);
    const opt = new SGD([p], { lr: 0.5, momentum: 0.9 });
    const g = rl.tensor([0.2, 0.4]);
    opt.step([p], [g]); // buf = g; p = [0.9, -2.2]
    opt.step([p], [g]); // buf = 0.9 g + g = [0.38, 0.76]; p = [0.71, -2.58]
    expectClose(Array.from(await p.data()), [0.71, -2.58], { rtol: 1e-6, atol: 1e-6 });
    [p, g].forEach((t) => t.dispose());
    opt.dispose();
  });
  it('Adam: the first step moves each weight by lr·sign(g)', async () => {
    const p = rl.tensor([1, -2, 3]);
    const opt = new Adam([p], { lr: 0.1 });
    const g = rl.tensor([5, -0.001, 2]);
    opt.step([p], [g]); // m̂ = g, v̂ = g², step = lr·g/(|g| + eps)
    expectClose(Array.from(await p.data()), [0.9, -1.9, 2.9], { rtol: 1e-5, atol: 1e-5 });
    [p, g].forEach((t) => t.dispose());
    opt.dispose();
  });
  it('resumes from saved state: buffers written back and steps restored give the same trajectory', async () => {
    const g1 = rl.tensor([0.3, -0.1]);
    const g2 = rl.tensor([-0.2, 0.4]);
    for (const make of [(p: rl.Tensor) => new SGD([['w', p]], { lr: 0.1, momentum: 0.9, dampening: 0.2 }), (p: rl.Tensor) => new Adam([['w', p]], { lr: 0.1 })]) {
      const p1 = rl.tensor([1, 2]);
      const a = make(p1);
      a.step([p1], [g1]);
      const saved = await Promise.all(a.state().map(async ([n, t]) => [n, await t.data()] as const));
      a.step([p1], [g2]);
      // A second run up to the first step, then a fresh optimizer loaded from the saved state.
      const p3 = rl.tensor([1, 2]);
      const c = make(p3);
      c.step([p3], [g1]);
      const resumed = make(p3);
      for (const [n, t] of resumed.state()) {
        const v = saved.find(([m]) => m === n)![1];
        const src = rl.tensor(v, [2]);
        t.backend.writeView(t.storage(), { shape: [2], strides: [1], offset: 0 }, src.storage());
        src.dispose();
      }
      (resumed as SGD | Adam).steps = 1;
      resumed.step([p3], [g2]);
      expectClose(Array.from(await p3.data()), Array.from(await p1.data()), { rtol: 1e-6, atol: 1e-7 });
      [p1, p3].forEach((t) => t.dispose());
      [a, c, resumed].forEach((o) => o.dispose());
    }
    [g1, g2].forEach((t) => t.dispose());
  });

  it('rejects mismatched gradients before any GPU work', () => {
    const p = rl.zeros([3]);
    const g = rl.zeros([4]);
    const opt = new SGD([p], { lr: 0.1 });
    expect(() => opt.step([p], [g])).toThrow(/SGD.step: gradient 0 has shape \[4\]/);
    expect(() => opt.step([p], [])).toThrow(/1 parameters but 0 gradients/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new Adam([p], { lr: -1 })).toThrow(/lr = -1/);
    [p, g].forEach((t) => t.dispose());
    opt.dispose();
  });
});

describe('gradient clipping', () => {
  it('scales by maxNorm / norm when above, leaves alone when below', async () => {
    const a = rl.tensor([3, 0]);
    const b = rl.tensor([[0, 4]]); // global norm 5
    const c1 = clipGradNorm([a, b], 1);
    expect(await c1.norm.item()).toBeCloseTo(5, 5);
    expectClose(Array.from(await c1.grads[0]!.data()), [0.6, 0], { atol: 1e-6 });
    expectClose(Array.from(await c1.grads[1]!.data()), [0, 0.8], { atol: 1e-6 });
    const c2 = clipGradNorm([a, b], 10);
    expectClose(Array.from(await c2.grads[1]!.data()), [0, 4], { atol: 1e-6 });
    [a, b, c1.norm, c2.norm, ...c1.grads, ...c2.grads].forEach((t) => t.dispose());
  });
});
