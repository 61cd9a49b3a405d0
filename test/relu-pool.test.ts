// The fused reluMaxPool2d: maxPool2d(relu(z)) without storing relu(z), and its one-kernel gradient.
// Checked against the float64 oracle and finite differences (checkOp), against the unfused pair on
// each backend bit for bit (special values included), against PyTorch, and inside Sequential, which
// fuses a ReLU followed by a MaxPool2d unless a tap asks for every layer's output.
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import type { Backend, Tensor } from '../src/node.js';
import { poolVariants } from '../src/kernels/pool.js';
import { hasTorch } from './helpers/attack-models.js';
import { checkOp, expectClose, randomValues } from './helpers/oracle.js';

// Tiled kernels (stride = kernel, no padding, exact fit; 2×2 and 3×3 as constants, others generic
// bounds) and the generic gather kernels (odd sizes, overlap, padding, non-square windows).
const cases: [string, number[], rl.Pool2dOptions][] = [
  ['2×2 tiled', [2, 3, 8, 6], { kernel: 2 }],
  ['2×2 tiled, rows a multiple of 4 (two windows per invocation)', [2, 3, 6, 12], { kernel: 2 }],
  ['3×3 tiled', [1, 2, 9, 6], { kernel: 3 }],
  ['4×2 tiled (uniform bounds)', [2, 2, 8, 6], { kernel: [4, 2] }],
  ['odd size floors (generic)', [1, 2, 7, 9], { kernel: 2 }],
  ['kernel 3 stride 2 pad 1', [2, 2, 9, 8], { kernel: 3, stride: 2, padding: 1 }],
  ['overlapping, stride 1', [1, 1, 6, 7], { kernel: 3, stride: 1 }],
  ['non-square window and stride', [2, 1, 7, 10], { kernel: [2, 3], stride: [1, 2], padding: [1, 0] }],
  ['window = input', [1, 1, 5, 5], { kernel: 5 }],
  ['batch of 1×1 outputs, many planes', [5, 7, 2, 3], { kernel: [2, 3] }],
];

const fused = (o: rl.Pool2dOptions) => (z: Tensor): Tensor => rl.reluMaxPool2d(z, o);
const unfused = (o: rl.Pool2dOptions) => (z: Tensor): Tensor => rl.tidy(() => rl.maxPool2d(rl.relu(z), o));

/** Forward values and the gradient of Σ gy·f(z), on one backend. */
async function run(f: (z: Tensor) => Tensor, zs: ArrayLike<number>, shape: number[], gys: ArrayLike<number>, backend: Backend<any>) {
  const z = rl.tensor(zs, shape, { backend });
  const y = f(z);
  const gy = rl.tensor(gys, [...y.shape], { backend });
  const [dz] = rl.grad(() => rl.sum(rl.mul(f(z), gy)), [z]);
  const out = { y: Array.from(await y.data()), dz: Array.from(await dz!.data()) };
  for (const t of [z, y, gy, dz!]) t.dispose();
  return out;
}

/** Equal as float32 bit patterns, except that any NaN equals any NaN (payloads are not specified). */
function expectSameBits(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  const bad = got.findIndex((v, i) => !(Object.is(v, want[i]) || (Number.isNaN(v) && Number.isNaN(want[i]))));
  const show = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
  if (bad >= 0) expect.fail(`${what}: element ${bad}: fused ${show(got[bad]!)}, unfused ${show(want[bad]!)}`);
}

/** Values with ties, zeros of both signs, windows entirely ≤ 0, and (when `wild`) NaN, ±Inf, subnormals. */
function awkward(n: number, seed: number, wild: boolean): Float64Array {
  const r = randomValues([n], seed);
  const specials = [0, -0, 1, 1, -1, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3e38, -3e38];
  return r.map((v, i) => {
    const k = (i * 7 + seed) % 23;
    if (k < 3) return Math.round(v); // ties and zeros
    if (k < 6) return -Math.abs(v); // whole windows ≤ 0 now and then
    if (wild && k < 9) return specials[(i * 5 + seed) % specials.length]!;
    return v;
  });
}

describe('reluMaxPool2d', () => {
  beforeEach(() => {
    poolVariants.constantWindows = true;
  });
  afterEach(() => {
    Object.assign(poolVariants, { constantWindows: true, pairs: true, quads: true });
    poolVariants.planesPerInvocation = 0;
    rl.setNumericsCheck(true);
  });

  for (const pz of [3, 16]) {
    it(`${pz} planes per invocation (tiled kernels, remainders included): GPU vs float64 oracle`, async () => {
      poolVariants.planesPerInvocation = pz;
      for (const [name, shape, o] of cases) {
        await checkOp(`reluMaxPool2d ${name}, PZ ${pz}`, (z) => rl.reluMaxPool2d(z!, o), [{ shape }], { tol: { rtol: 1e-6, atol: 0 }, gradTol: { rtol: 1e-6, atol: 0 } });
        await checkOp(`maxPool2d ${name}, PZ ${pz}`, (z) => rl.maxPool2d(z!, o), [{ shape }], { tol: { rtol: 1e-6, atol: 0 }, gradTol: { rtol: 1e-6, atol: 0 } });
      }
    });
  }

  for (const [name, shape, o] of cases) {
    it(`${name}: GPU vs float64 oracle, forward and backward, and finite differences`, async () => {
      await checkOp(`reluMaxPool2d ${name}`, (z) => rl.reluMaxPool2d(z!, o), [{ shape }], { tol: { rtol: 1e-6, atol: 0 }, gradTol: { rtol: 1e-6, atol: 0 } });
    });
  }

  it('equals maxPool2d(relu(z)) bit for bit on both backends, forward and backward, with NaN, ±Inf, ±0, subnormals and ties', async () => {
    rl.setNumericsCheck(false);
    // Every tiled kernel: the vec4-row and vec2-row 2×2 kernels, the scalar ones with constant
    // windows, and with uniform window bounds.
    const variants = [
      { constantWindows: true, pairs: true, quads: true, name: '' },
      { constantWindows: true, pairs: true, quads: false, name: ', vec2 rows only' },
      { constantWindows: true, pairs: false, quads: false, name: ', scalar tiles' },
      { constantWindows: false, pairs: false, quads: false, name: ', no constant windows' },
    ];
    for (const { name: variant, ...v } of variants) {
      Object.assign(poolVariants, v);
      for (const [name, shape, o] of cases) {
        for (const wild of [false, true]) {
          const n = shape.reduce((a, b) => a * b, 1);
          const zs = awkward(n, 11 + n, wild);
          const probe = rl.tidy(() => rl.reluMaxPool2d(rl.zeros(shape, { backend: rl.cpu }), o));
          const gys = awkward(probe.size, 5, wild);
          probe.dispose();
          for (const backend of [rl.getBackend(), rl.cpu]) {
            const what = `${name}${wild ? ', special values' : ''}, ${backend.kind}${variant}`;
            const a = await run(fused(o), zs, shape, gys, backend);
            const b = await run(unfused(o), zs, shape, gys, backend);
            expectSameBits(a.y, b.y, `${what}: forward`);
            expectSameBits(a.dz, b.dz, `${what}: gradient`);
          }
        }
      }
    }
  });

  it('routes the gradient to the first maximum, and gives none to windows whose max is ≤ 0 or NaN', async () => {
    rl.setNumericsCheck(false);
    // Windows (2×2, row-major): [1, 3, 3, 0] max 3 (first), [-1, -2, -0.5, -3] max < 0, [0, -1, 0, -2] max 0, [NaN, 2, 1, 0] NaN.
    const z = [1, 3, -1, -2, 3, 0, -0.5, -3, 0, -1, NaN, 2, 0, -2, 1, 0];
    for (const backend of [rl.getBackend(), rl.cpu]) {
      const r = await run(fused({ kernel: 2 }), z, [1, 1, 4, 4], [10, 20, 30, 40], backend);
      expect(r.y.slice(0, 3), backend.kind).toEqual([3, 0, 0]);
      expect(Number.isNaN(r.y[3]), backend.kind).toBe(true);
      expect(r.dz, backend.kind).toEqual([0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
  });

  it('an infinite gradient on a window whose max is < 0 makes NaN at its first element, as relu then maxPool2d (Inf · 0)', async () => {
    rl.setNumericsCheck(false);
    // One 2×2 window [-1, -2, -0.5, -3]: max at element 2, but relu makes every element 0 and the pair
    // routes to element 0. An extra column of 1s (width 3, floored away) takes the generic kernel.
    for (const [shape, z] of [[[1, 1, 2, 2], [-1, -2, -0.5, -3]], [[1, 1, 2, 3], [-1, -2, 1, -0.5, -3, 1]]] as const) {
      for (const backend of [rl.getBackend(), rl.cpu]) {
        const a = await run(fused({ kernel: 2 }), z, [...shape], [Infinity], backend);
        const b = await run(unfused({ kernel: 2 }), z, [...shape], [Infinity], backend);
        expectSameBits(a.dz, b.dz, `${backend.kind} ${shape}`);
        expect(a.dz.map((v) => (Number.isNaN(v) ? 'NaN' : v)), `${backend.kind} ${shape}`).toEqual(shape[3] === 2 ? ['NaN', 0, 0, 0] : ['NaN', 0, 0, 0, 0, 0]);
      }
    }
  });

  it('raises the errors of maxPool2d, naming the op and the shape', () => {
    const x = rl.zeros([1, 1, 4, 4]);
    const v = rl.zeros([4, 4]);
    const i = rl.zeros([1, 1, 4, 4], { dtype: 'int32' });
    expect(() => rl.reluMaxPool2d(x, { kernel: 5 })).toThrow(/reluMaxPool2d: a 5 x 5 window does not fit input \[1, 1, 4, 4\]/);
    expect(() => rl.reluMaxPool2d(x, { kernel: 2, padding: 2 })).toThrow(/reluMaxPool2d: padding .* at most half the kernel/);
    expect(() => rl.reluMaxPool2d(x, { kernel: 0 })).toThrow(/reluMaxPool2d.*kernel must be an integer >= 1/);
    expect(() => rl.reluMaxPool2d(v, { kernel: 2 })).toThrow(/reluMaxPool2d: input must be NCHW.*\[4, 4\]/);
    expect(() => rl.reluMaxPool2d(i, { kernel: 2 })).toThrow(/reluMaxPool2d/);
    for (const t of [x, v, i]) t.dispose();
  });

  it.runIf(hasTorch)('matches PyTorch: max_pool2d(relu(z)) and its input gradient', async () => {
    const shape = [2, 3, 7, 9];
    const o: rl.Pool2dOptions = { kernel: 3, stride: 2, padding: 1 };
    const zs = Array.from(awkward(shape.reduce((a, b) => a * b, 1), 3, false));
    const oracle = await run(fused(o), zs, shape, randomValues([2 * 3 * 4 * 5], 8), rl.cpu);
    const gpu = await run(fused(o), zs, shape, randomValues([2 * 3 * 4 * 5], 8), rl.getBackend());
    const py = [
      'import json, sys, torch',
      'a = json.load(sys.stdin)',
      'z = torch.tensor(a["z"], dtype=torch.float64).reshape(a["shape"]).requires_grad_()',
      'y = torch.nn.functional.max_pool2d(torch.relu(z), 3, stride=2, padding=1)',
      'y.backward(torch.tensor(a["gy"], dtype=torch.float64).reshape(y.shape))',
      'print(json.dumps({"y": y.detach().flatten().tolist(), "dz": z.grad.flatten().tolist()}))',
    ].join('\n');
    const torch = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify({ z: zs, shape, gy: Array.from(randomValues([2 * 3 * 4 * 5], 8)) }) }).toString());
    expectClose(oracle.y, torch.y, { rtol: 1e-12, atol: 0 }, 'oracle forward vs torch');
    expectClose(oracle.dz, torch.dz, { rtol: 1e-12, atol: 0 }, 'oracle gradient vs torch');
    expectClose(gpu.y, torch.y, { rtol: 1e-6, atol: 0 }, 'GPU forward vs torch');
    expectClose(gpu.dz, torch.dz, { rtol: 1e-6, atol: 0 }, 'GPU gradient vs torch');
  });
});

describe('Sequential fuses ReLU + MaxPool2d', () => {
  /** cnnSmall's logits and input gradient, with a tap (unfused: every layer runs) or without (fused). */
  async function cnn(backend: Backend<any>, tapped: boolean) {
    const model = rl.nn.cnnSmall({ inChannels: 1, inputSize: 12, classes: 10, seed: 4, backend });
    const x = rl.tensor(randomValues([3, 1, 12, 12], 9), [3, 1, 12, 12], { backend });
    const names: string[] = [];
    const ctx = tapped ? { tap: (n: string) => void names.push(n) } : undefined;
    const y = rl.tidy(() => model.forward(x, ctx));
    const w = rl.tensor(randomValues([3, 10], 10), [3, 10], { backend });
    const [dx] = rl.grad(() => rl.sum(rl.mul(model.forward(x, ctx), w)), [x]);
    const out = { y: Array.from(await y.data()), dx: Array.from(await dx!.data()), names };
    for (const t of [x, y, w, dx!]) t.dispose();
    model.dispose();
    return out;
  }

  it('runs the fused op without a tap, and the two layers with one', () => {
    const x = rl.tensor(randomValues([1, 2, 4, 4], 1), [1, 2, 4, 4]);
    const origins: string[] = [];
    const y1 = new rl.nn.Sequential(new rl.nn.ReLU(), new rl.nn.MaxPool2d(2)).forward(x);
    origins.push(y1.origin!);
    const y2 = new rl.nn.Sequential(new rl.nn.ReLU(), new rl.nn.MaxPool2d(2)).forward(x, { tap: () => {} });
    origins.push(y2.origin!);
    expect(origins).toEqual(['reluMaxPool2d', 'maxPool2d']);
    for (const t of [x, y1, y2]) t.dispose();
  });

  it('cnnSmall: logits and input gradient are bitwise equal with and without a tap, on both backends', async () => {
    for (const backend of [rl.getBackend(), rl.cpu]) {
      const plain = await cnn(backend, false);
      const tapped = await cnn(backend, true);
      expectSameBits(plain.y, tapped.y, `${backend.kind}: logits`);
      expectSameBits(plain.dx, tapped.dx, `${backend.kind}: input gradient`);
      // With a tap every layer still reports its output (twice: forward, then the gradient's forward).
      expect(tapped.names.slice(0, 10), backend.kind).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    }
  });
});
