import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import {
  AvgPool2d, BatchNorm2d, Conv2d, Dropout, MaxPool2d, Linear, ReLU, Sequential, cnnSmall, createModel, fans, kaimingNormal, kaimingUniform,
  mlp, plainCnn, resnetSmall, smallCnnTrades, torchDefaultWeight, xavierUniform, type Module,
} from '../src/nn/index.js';
import { expectClose, randomValues } from './helpers/oracle.js';

const shapesOf = (m: Module) => m.namedParameters().map(([n, t]) => [n, [...t.shape]]);

/**
 * Build the same seeded model on the GPU and on the float64 oracle; compare the output and the
 * gradient of Σ(out·r) with respect to every parameter and the input.
 */
async function compareModel(make: (backend: rl.Backend<any>) => Module, inputShape: number[], tol = { rtol: 2e-3, atol: 2e-4 }): Promise<void> {
  const run = async (backend: rl.Backend<any>) => {
    const model = make(backend);
    const x = rl.tensor(randomValues(inputShape, 3, 0, 1), inputShape, { backend });
    const probe = rl.noGrad(() => rl.tidy(() => model.eval().forward(x)));
    model.train();
    const r = rl.tensor(randomValues([...probe.shape], 4), [...probe.shape], { backend });
    const params = model.parameters();
    const { value, grads } = rl.valueAndGrad(() => rl.sum(rl.mul(model.forward(x), r)), [...params, x]);
    const out = { eval: Array.from(await probe.data()), value: await value.item(), grads: await Promise.all(grads.map(async (g) => Array.from(await g.data()))) };
    [probe, r, x, value, ...grads].forEach((t) => t.dispose());
    model.dispose();
    return out;
  };
  const gpu = await run(rl.getBackend());
  const cpu = await run(rl.cpu);
  expectClose(gpu.eval, cpu.eval, tol, 'eval-mode output');
  expectClose([gpu.value], [cpu.value], tol, 'training-mode objective');
  gpu.grads.forEach((g, i) => {
    const scale = cpu.grads[i]!.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-2);
    expectClose(g, cpu.grads[i]!, { rtol: tol.rtol, atol: tol.atol * scale * 10 }, `grad ${i}`);
  });
}

describe('layers by hand', () => {
  it('Linear: y = x·Wᵀ + b with W [out, in]', async () => {
    const lin = new Linear(3, 2);
    lin.weight.dispose();
    lin.bias!.dispose();
    lin.weight = rl.tensor([[1, 2, 3], [4, 5, 6]]);
    lin.bias = rl.tensor([0.5, -1]);
    const x = rl.tensor([[1, 0, -1], [2, 1, 0]]);
    const y = lin.forward(x);
    expect(await y.array()).toEqual([[-1.5, -3], [4.5, 12]]);
    const bad = rl.tensor([[1, 2]]);
    expect(() => lin.forward(bad)).toThrow(/Linear\(3→2\): input must be \[batch, 3\]/);
    [x, y, bad].forEach((t) => t.dispose());
    lin.dispose();
  });

  it('Conv2d (1×1 mixes channels; PyTorch default bias bound), MaxPool2d and AvgPool2d by hand', async () => {
    const conv = new Conv2d(2, 1, 1, { seed: 1 });
    const b = Array.from(await conv.bias!.data());
    expect(Math.abs(b[0]!)).toBeLessThanOrEqual(1 / Math.sqrt(2));
    conv.setWeight(rl.tensor([2, -1], [1, 2, 1, 1]));
    conv.setBias(rl.tensor([0.5]));
    const x = rl.tensor([1, 2, 3, 4, 5, 6, 7, 8, 10, 20, 30, 40, 50, 60, 70, 80], [1, 2, 2, 4]);
    const y = conv.forward(x);
    expect(Array.from(await y.data())).toEqual([-7.5, -15.5, -23.5, -31.5, -39.5, -47.5, -55.5, -63.5]);
    const mp = new MaxPool2d(2).forward(x);
    const ap = new AvgPool2d([1, 2]).forward(x);
    expect(Array.from(await mp.data())).toEqual([6, 8, 60, 80]);
    expect(Array.from(await ap.data())).toEqual([1.5, 3.5, 5.5, 7.5, 15, 35, 55, 75]);
    [x, y, mp, ap].forEach((t) => t.dispose());
    conv.dispose();
  });

  it('Sequential names children 0, 1, … and reports taps under qualified names', () => {
    const m = new Sequential(new Linear(4, 3), new ReLU(), new Sequential(['fc', new Linear(3, 2)]));
    expect(shapesOf(m)).toEqual([['0.weight', [3, 4]], ['0.bias', [3]], ['2.fc.weight', [2, 3]], ['2.fc.bias', [2]]]);
    const taps: [string, number[]][] = [];
    const x = rl.zeros([5, 4]);
    const y = rl.tidy(() => m.forward(x, { tap: (n, t) => taps.push([n, [...t.shape]]) }));
    expect(taps).toEqual([['0', [5, 3]], ['1', [5, 3]], ['2.fc', [5, 2]]]);
    expect(m.eval().training).toBe(false);
    expect((m.at(2) as Sequential).at(0).training).toBe(false);
    [x, y].forEach((t) => t.dispose());
    m.dispose();
  });

  it('Dropout is the identity in eval mode and drops about p in training', async () => {
    const d = new Dropout(0.5, { seed: 1 });
    const x = rl.ones([1000]);
    const train = d.forward(x);
    const kept = Array.from(await train.data()).filter((v) => v !== 0);
    expect(kept.length).toBeGreaterThan(430);
    expect(kept.length).toBeLessThan(570);
    expect(kept.every((v) => v === 2)).toBe(true);
    const ev = d.eval().forward(x);
    expect(Array.from(await ev.data()).every((v) => v === 1)).toBe(true);
    [x, train, ev].forEach((t) => t.dispose());
  });

  it('BatchNorm2d: PyTorch buffer names, batch counter, running statistics in eval', async () => {
    const bn = new BatchNorm2d(3);
    expect(bn.namedBuffers('bn.').map(([n, t]) => [n, [...t.shape], t.dtype])).toEqual([
      ['bn.running_mean', [3], 'float32'], ['bn.running_var', [3], 'float32'], ['bn.num_batches_tracked', [], 'int32'],
    ]);
    const x = rl.tensor(randomValues([4, 3, 2, 5], 8), [4, 3, 2, 5]);
    rl.tidy(() => bn.forward(x)).dispose();
    rl.tidy(() => bn.forward(x)).dispose();
    const buffers = bn.namedBuffers();
    expect(await buffers[2]![1].item()).toBe(2);
    // Twice with momentum 0.1 from 0: running_mean = 0.19 · batch mean.
    const mean = rl.tidy(() => rl.mean(x, [0, 2, 3]));
    expectClose(Array.from(await buffers[0]![1].data()), Array.from(await mean.data()).map((v) => 0.19 * v), { atol: 1e-5 });
    // Eval: (x − running_mean) / √(running_var + eps).
    const y = rl.tidy(() => bn.eval().forward(x));
    const rm = Array.from(await buffers[0]![1].data());
    const rv = Array.from(await buffers[1]![1].data());
    const xs = Array.from(await x.data());
    const expected = xs.map((v, i) => {
      const c = Math.floor(i / 10) % 3;
      return (v - rm[c]!) / Math.sqrt(rv[c]! + 1e-5);
    });
    expectClose(Array.from(await y.data()), expected, { atol: 1e-5 });
    expect(await bn.namedBuffers()[2]![1].item()).toBe(2);
    [x, mean, y].forEach((t) => t.dispose());
    bn.dispose();
  });
});

describe('init', () => {
  const stats = async (t: rl.Tensor) => {
    const v = Array.from(await t.data());
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    return { m, sd, maxAbs: Math.max(...v.map(Math.abs)) };
  };
  it('fans, Kaiming, Xavier and PyTorch defaults have the documented scales', async () => {
    expect(fans([64, 32, 3, 3])).toEqual({ fanIn: 288, fanOut: 576 });
    const rng = new rl.Rng(1);
    const kn = kaimingNormal([64, 32, 3, 3], { rng });
    const kno = kaimingNormal([64, 32, 3, 3], { rng }, { mode: 'fan_out' });
    const ku = kaimingUniform([128, 100], { rng });
    const xu = xavierUniform([128, 100], { rng });
    const td = torchDefaultWeight([128, 100], { rng });
    const s1 = await stats(kn);
    expect(s1.sd).toBeCloseTo(Math.sqrt(2 / 288), 2);
    expect((await stats(kno)).sd).toBeCloseTo(Math.sqrt(2 / 576), 2);
    const s3 = await stats(ku);
    expect(s3.maxAbs).toBeLessThanOrEqual(Math.sqrt(6 / 100) + 1e-6);
    expect(s3.sd).toBeCloseTo(Math.sqrt(2 / 100), 2);
    expect((await stats(xu)).maxAbs).toBeLessThanOrEqual(Math.sqrt(6 / 228) + 1e-6);
    const s5 = await stats(td);
    expect(s5.maxAbs).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(s5.maxAbs).toBeGreaterThan(0.099);
    [kn, kno, ku, xu, td].forEach((t) => t.dispose());
  });
  it('the same seed gives the same weights on both backends', async () => {
    const a = mlp({ seed: 7, inputSize: 4, hidden: [5] });
    const b = mlp({ seed: 7, inputSize: 4, hidden: [5], backend: rl.cpu });
    const wa = Array.from(await a.parameters()[0]!.data());
    const wb = Array.from(await b.parameters()[0]!.data());
    expectClose(wa, wb, { rtol: 1e-6, atol: 1e-7 });
    a.dispose();
    b.dispose();
  });
});

describe('model zoo', () => {
  it('cnn-small: PyTorch state-dict keys and shapes', () => {
    const m = cnnSmall();
    expect(shapesOf(m)).toEqual([
      ['0.weight', [32, 1, 3, 3]], ['0.bias', [32]], ['3.weight', [64, 32, 3, 3]], ['3.bias', [64]],
      ['7.weight', [128, 3136]], ['7.bias', [128]], ['9.weight', [10, 128]], ['9.bias', [10]],
    ]);
    m.dispose();
    const c = cnnSmall({ inChannels: 3, inputSize: 32 });
    expect(shapesOf(c)[0]).toEqual(['0.weight', [32, 3, 3, 3]]);
    expect(shapesOf(c)[4]).toEqual(['7.weight', [128, 4096]]);
    c.dispose();
  });

  it('small-cnn-trades: TRADES keys, 1024 features, zero logits at init', async () => {
    const m = smallCnnTrades();
    const names = m.namedParameters().map(([n]) => n);
    expect(names).toEqual([
      'feature_extractor.conv1.weight', 'feature_extractor.conv1.bias', 'feature_extractor.conv2.weight', 'feature_extractor.conv2.bias',
      'feature_extractor.conv3.weight', 'feature_extractor.conv3.bias', 'feature_extractor.conv4.weight', 'feature_extractor.conv4.bias',
      'classifier.fc1.weight', 'classifier.fc1.bias', 'classifier.fc2.weight', 'classifier.fc2.bias', 'classifier.fc3.weight', 'classifier.fc3.bias',
    ]);
    expect(m.flatSize).toBe(1024);
    const x = rl.rand([2, 1, 28, 28], 1);
    const y = rl.tidy(() => m.forward(x));
    expect(y.shape).toEqual([2, 10]);
    expect(Array.from(await y.data()).every((v) => v === 0)).toBe(true);
    [x, y].forEach((t) => t.dispose());
    m.dispose();
  });

  it('resnet-small: torchvision keys, BN buffers, downsample shortcuts, block taps; 28 and 32 input', () => {
    const m = resnetSmall({ blocks: [1, 1, 1] });
    const keys = m.namedParameters().map(([n]) => n);
    expect(keys.slice(0, 3)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias']);
    expect(keys).toContain('layer2.0.downsample.0.weight');
    expect(keys).toContain('layer2.0.downsample.1.bias');
    expect(keys).not.toContain('layer1.0.downsample.0.weight');
    expect(keys.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    expect(m.namedBuffers().map(([n]) => n).slice(0, 3)).toEqual(['bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']);
    for (const [c, s] of [[1, 28], [3, 32]] as const) {
      const net = resnetSmall({ blocks: [1, 1, 1], inChannels: c });
      const x = rl.rand([2, c, s, s], 2);
      const taps: string[] = [];
      const y = rl.tidy(() => net.forward(x, { tap: (n) => taps.push(n) }));
      expect(y.shape).toEqual([2, 10]);
      expect(taps).toContain('layer1.0');
      expect(taps).toContain('layer3.0.conv2');
      expect(taps).toContain('fc');
      [x, y].forEach((t) => t.dispose());
      net.dispose();
    }
    m.dispose();
  });

  it('plain-cnn: 6 to 8 convolutions', () => {
    for (const depth of [6, 8]) {
      const m = plainCnn({ depth });
      expect(m.namedParameters().filter(([n, t]) => n.endsWith('.weight') && t.rank === 4).length).toBe(depth);
      m.dispose();
    }
    expect(() => plainCnn({ depth: 9 })).toThrow(/depth 9/);
  });

  it('createModel by name, with a clear error for unknown names', () => {
    const m = createModel('cnn-small', { seed: 3 });
    expect(m.namedParameters()[0]![0]).toBe('0.weight');
    m.dispose();
    expect(() => createModel('vgg')).toThrow(/unknown model 'vgg'; choose one of cnn-small/);
  });
});

describe('models against the float64 oracle (forward and every gradient)', () => {
  it('cnn-small', () => compareModel((backend) => cnnSmall({ seed: 1, backend, inputSize: 12 }), [2, 1, 12, 12]));
  it('plain-cnn with batch norm (training and eval)', () => compareModel((backend) => plainCnn({ seed: 2, backend, depth: 6, inputSize: 9 }), [3, 1, 9, 9]));
  it('resnet-small (stride-2 stages, downsample)', () => compareModel((backend) => resnetSmall({ seed: 3, backend, blocks: [1, 1], inChannels: 3 }), [2, 3, 10, 10]));
  it('small-cnn-trades (dropout masks seeded alike)', () => compareModel((backend) => smallCnnTrades({ seed: 4, backend, inputSize: 16 }), [2, 1, 16, 16]));
});
