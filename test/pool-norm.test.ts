import { describe, expect, it, onTestFinished } from 'vitest';
import * as rl from '../src/node.js';
import { normVariants } from '../src/kernels/norm.js';
import { checkOp, expectClose, randomValues } from './helpers/oracle.js';

const poolCases: [string, number[], rl.Pool2dOptions][] = [
  ['kernel 2 (stride = kernel)', [2, 3, 8, 6], { kernel: 2 }],
  ['odd size floors', [1, 2, 7, 9], { kernel: 2 }],
  ['kernel 3 stride 2 pad 1', [2, 2, 9, 8], { kernel: 3, stride: 2, padding: 1 }],
  ['overlapping, stride 1', [1, 1, 6, 7], { kernel: 3, stride: 1 }],
  ['non-square window and stride', [2, 1, 7, 10], { kernel: [2, 3], stride: [1, 2], padding: [1, 0] }],
  ['window = input (batch 1, C 1)', [1, 1, 5, 5], { kernel: 5 }],
];

describe('pooling against the float64 oracle', () => {
  for (const [name, shape, opts] of poolCases) {
    it(`maxPool2d ${name}`, async () => {
      await checkOp(`maxPool2d ${name}`, (x) => rl.maxPool2d(x!, opts), [{ shape }]);
    });
    it(`avgPool2d ${name}`, async () => {
      await checkOp(`avgPool2d ${name}`, (x) => rl.avgPool2d(x!, opts), [{ shape }]);
    });
  }
  it('globalAvgPool2d', async () => {
    await checkOp('globalAvgPool2d', (x) => rl.globalAvgPool2d(x!), [{ shape: [3, 5, 7, 3] }]);
  });

  it('max pooling sends a tied window’s gradient to its first element, on both backends', async () => {
    for (const backend of [rl.getBackend(), rl.cpu]) {
      const x = rl.tensor([1, 1, 0, 3, 1, 1, 3, 3], [1, 1, 2, 4], { backend });
      const [g] = rl.grad(() => rl.sum(rl.maxPool2d(x, { kernel: 2 })), [x]);
      expect(Array.from(await g!.data()), backend.kind).toEqual([1, 0, 0, 1, 0, 0, 0, 0]);
      x.dispose();
      g!.dispose();
    }
  });

  it('average pooling divides by the full window inside the padding (count_include_pad)', async () => {
    // A corner window of a 3x3 kernel with padding 1 covers 4 ones and 5 zeros of padding: 4/9.
    const x = rl.ones([1, 1, 4, 4]);
    const y = rl.avgPool2d(x, { kernel: 3, stride: 1, padding: 1 });
    expectClose(Array.from(await y.data()).slice(0, 2), [4 / 9, 6 / 9], { rtol: 1e-6 }, 'avgPool2d corner');
    x.dispose();
    y.dispose();
  });

  it('rejects bad windows', () => {
    const x = rl.zeros([1, 1, 4, 4]);
    expect(() => rl.maxPool2d(x, { kernel: 5 })).toThrow(/does not fit/);
    expect(() => rl.avgPool2d(x, { kernel: 2, padding: 2 })).toThrow(/at most half the kernel/);
    expect(() => rl.maxPool2d(x, { kernel: 0 })).toThrow(/kernel must be an integer >= 1/);
    const v = rl.zeros([4, 4]);
    expect(() => rl.maxPool2d(v, { kernel: 2 })).toThrow(/NCHW/);
    x.dispose();
    v.dispose();
  });
});

describe('batchNorm2d', () => {
  const C = 3;
  const bnTrain = (x: rl.Tensor, g: rl.Tensor, b: rl.Tensor) => {
    const rm = rl.zeros([C], { backend: x.backend });
    const rv = rl.ones([C], { backend: x.backend });
    return rl.batchNorm2d(x, g, b, rm, rv, { training: true });
  };

  it('training mode: forward and gradients (through the batch statistics) against the oracle', async () => {
    await checkOp('batchNorm2d train', bnTrain, [{ shape: [4, C, 3, 5] }, { shape: [C] }, { shape: [C] }], { gradTol: { rtol: 2e-3, atol: 2e-4 } });
    await checkOp('batchNorm2d train, batch 1', bnTrain, [{ shape: [1, C, 2, 3] }, { shape: [C] }, { shape: [C] }], { gradTol: { rtol: 2e-3, atol: 2e-4 } });
  });

  // nz: examples per invocation of the elementwise passes (0: the launcher's choice; 3 leaves remainders).
  for (const nz of [0, 3]) it(`fused kernels on awkward shapes: planes longer than a workgroup, vec4 planes, 1×1 planes, many channels${nz ? `, ${nz} examples per invocation` : ''}`, async () => {
    normVariants.examplesPerInvocation = nz;
    onTestFinished(() => void (normVariants.examplesPerInvocation = 0));
    const train = (c: number) => (x: rl.Tensor, g: rl.Tensor, b: rl.Tensor) =>
      rl.batchNorm2d(x, g, b, rl.zeros([c], { backend: x.backend }), rl.ones([c], { backend: x.backend }), { training: true });
    const tol = { gradTol: { rtol: 2e-3, atol: 2e-4 } };
    await checkOp('batchNorm2d train, plane 17×19', train(2), [{ shape: [3, 2, 17, 19] }, { shape: [2] }, { shape: [2] }], tol);
    await checkOp('batchNorm2d train, vec4 planes (4×9)', train(4), [{ shape: [3, 4, 4, 9] }, { shape: [4] }, { shape: [4] }], tol);
    await checkOp('batchNorm2d train, 1×1 planes', train(5), [{ shape: [70, 5, 1, 1] }, { shape: [5] }, { shape: [5] }], tol);
    await checkOp('batchNorm2d train, 67 channels', train(67), [{ shape: [2, 67, 2, 3] }, { shape: [67] }, { shape: [67] }], tol);
    const rv = Array.from(randomValues([7], 3, 0.5, 2));
    await checkOp(
      'batchNorm2d eval, input gradient only',
      (x, g, b, rm, v) => rl.batchNorm2d(x!, g!, b!, rm!, v!, { training: false }),
      [{ shape: [3, 7, 5, 13] }, { shape: [7], grad: false }, { shape: [7], grad: false }, { shape: [7], grad: false }, { shape: [7], values: rv, grad: false }],
    );
  });

  it('the fused op equals the definition written with mean and variance ops, even when |mean| >> std', async () => {
    const shape = [4, 3, 6, 5];
    // Channel means of 1000 with unit spread: a one-pass Σx² − M·mean² would lose the variance in float32.
    const xs = randomValues(shape, 21).map((v, i) => v + 1000 * (Math.floor(i / 30) % 3 === 1 ? 1 : 0));
    const x = rl.tensor(xs, shape);
    const g = rl.tensor([0.5, 2, -1]);
    const b = rl.tensor([0.1, 0, -0.3]);
    const [rm, rv] = [rl.zeros([3]), rl.ones([3])];
    const y = rl.batchNorm2d(x, g, b, rm, rv, { training: true, eps: 1e-5 });
    const want = rl.tidy(() => {
      const xc = rl.tensor(xs, shape, { backend: rl.cpu });
      const mu = rl.mean(xc, [0, 2, 3], true);
      const v = rl.variance(xc, [0, 2, 3], true);
      const norm = rl.mul(rl.sub(xc, mu), rl.rsqrt(rl.affine(v, 1, 1e-5)));
      const cs = [1, 3, 1, 1];
      return rl.add(rl.mul(norm, rl.tensor([0.5, 2, -1], cs, { backend: rl.cpu })), rl.tensor([0.1, 0, -0.3], cs, { backend: rl.cpu }));
    });
    expectClose(await y.data(), await want.data(), { rtol: 1e-3, atol: 1e-3 }, 'fused vs definition');
    for (const t of [x, g, b, rm, rv, y, want]) t.dispose();
  });

  it('eval mode uses the running statistics', async () => {
    const rv = Array.from(randomValues([C], 5, 0.5, 2));
    await checkOp(
      'batchNorm2d eval',
      (x, g, b, rm, v) => rl.batchNorm2d(x!, g!, b!, rm!, v!, { training: false, eps: 1e-3 }),
      [{ shape: [2, C, 4, 3] }, { shape: [C] }, { shape: [C] }, { shape: [C], grad: false }, { shape: [C], values: rv, grad: false }],
    );
  });

  it('updates the running buffers in place with the unbiased variance (momentum 0.1)', async () => {
    const shape = [2, C, 3, 2];
    const xs = randomValues(shape, 11);
    const x = rl.tensor(xs, shape);
    const g = rl.ones([C]);
    const b = rl.zeros([C]);
    const rm = rl.tensor([0.5, -1, 2]);
    const rv = rl.tensor([1, 2, 0.5]);
    const y = rl.batchNorm2d(x, g, b, rm, rv, { training: true });
    const n = 2 * 3 * 2;
    const wantM: number[] = [];
    const wantV: number[] = [];
    const m0 = [0.5, -1, 2];
    const v0 = [1, 2, 0.5];
    for (let c = 0; c < C; c++) {
      const vals: number[] = [];
      for (let k = 0; k < 2; k++) for (let s = 0; s < 6; s++) vals.push(xs[(k * C + c) * 6 + s]!);
      const mu = vals.reduce((a, v) => a + v, 0) / n;
      const unbiased = vals.reduce((a, v) => a + (v - mu) ** 2, 0) / (n - 1);
      wantM.push(0.9 * m0[c]! + 0.1 * mu);
      wantV.push(0.9 * v0[c]! + 0.1 * unbiased);
    }
    expectClose(await rm.data(), wantM, { rtol: 1e-5, atol: 1e-6 }, 'running mean');
    expectClose(await rv.data(), wantV, { rtol: 1e-5, atol: 1e-6 }, 'running var');
    // The batch is normalised with the biased variance: per channel, mean 0 and mean square ≈ 1.
    const yv = await y.data();
    for (let c = 0; c < C; c++) {
      let s2 = 0;
      for (let k = 0; k < 2; k++) for (let s = 0; s < 6; s++) s2 += yv[(k * C + c) * 6 + s]! ** 2;
      expect(s2 / n).toBeCloseTo(1 / (1 + 1e-5 / 1), 3);
    }
    for (const t of [x, g, b, rm, rv, y]) t.dispose();
  });

  it('rejects mismatched parameters', () => {
    const x = rl.zeros([2, 3, 2, 2]);
    const p = rl.zeros([4]);
    const q = rl.ones([3]);
    expect(() => rl.batchNorm2d(x, p, q, q, q, { training: true })).toThrow(/gamma must have shape \[3\]/);
    const one = rl.zeros([1, 3, 1, 1]);
    expect(() => rl.batchNorm2d(one, q, q, q, q, { training: true })).toThrow(/more than one value per channel/);
    for (const t of [x, p, q, one]) t.dispose();
  });
});

describe('dropout', () => {
  it('the same seed drops the same elements on the GPU and the CPU; gradients match', async () => {
    await checkOp('dropout p = 0.3', (x) => rl.dropout(x!, 0.3, new rl.Rng(42), true), [{ shape: [3, 4, 5, 7] }]);
  });

  it('inverted scaling, drop rate, eval identity', async () => {
    const x = rl.ones([4000]);
    const y = rl.dropout(x, 0.25, new rl.Rng(3), true);
    const v = await y.data();
    const kept = Array.from(v).filter((a) => a !== 0);
    expect(kept.every((a) => Math.abs(a - 1 / 0.75) < 1e-6)).toBe(true);
    expect(Math.abs(kept.length / 4000 - 0.75)).toBeLessThan(0.03);
    const e = rl.dropout(x, 0.25, new rl.Rng(3), false);
    expect(Array.from(await e.data()).every((a) => a === 1)).toBe(true);
    const z = rl.dropout(x, 1, new rl.Rng(3), true);
    expect(Array.from(await z.data()).every((a) => a === 0)).toBe(true);
    expect(() => rl.dropout(x, 1.5, new rl.Rng(3), true)).toThrow(/p must be in \[0, 1\]/);
    for (const t of [x, y, e, z]) t.dispose();
  });
});
