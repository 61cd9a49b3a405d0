// Op fuzzing, backward: the gradient kernels (conv dx / dw / bias, max and average pooling, matmul,
// the activations, softmax and cross-entropy) on random geometry, with a cotangent that holds NaN,
// ±Inf, ±0, huge and subnormal values. Each case is the gradient of Σ g·op(inputs) with respect to
// one input, computed by our autograd on the GPU and on the float64 CPU oracle; the two must agree
// under the NaN/Inf rules of src/backend/cpu/core.ts, as the forward fuzzers require.
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import * as rl from '../src/node.js';
import type { Tensor } from '../src/node.js';
import { CaseCounter, fuzzProperty, sizeOf, valueSeed, values, type OpCase, type Pool } from './helpers/fuzz.js';

const counter = new CaseCounter();
afterAll(() => console.log(counter.line('op fuzz (backward)')));

const property = (name: string, arb: fc.Arbitrary<OpCase>, numRuns: number, batch: number, seed: number): Promise<void> =>
  fuzzProperty(counter, name, arb, numRuns, batch, seed);

const input = (shape: number[], v: { seed: number; rate: number }, pool: Pool): { shape: number[]; values: Float64Array } => ({ shape, values: values(sizeOf(shape), v.seed, pool, v.rate) });
const small = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

/**
 * The gradient of Σ g·f(xs) with respect to xs[which], where g (the cotangent, of f's output shape)
 * is the last input. The other gradients are disposed by the fuzzer's tidy scope.
 */
const vjp = (f: (...xs: Tensor[]) => Tensor, which: number) => (...all: Tensor[]): Tensor => {
  const g = all[all.length - 1]!;
  const xs = all.slice(0, -1);
  return rl.grad(() => rl.sum(rl.mul(f(...xs), g)), xs)[which]!;
};

const outSize = (n: number, k: number, s: number, p: number, d: number): number => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

// Conv: dx (which 0), dw (which 1) and the bias gradient (which 2). The cotangent carries the special
// values; x and w are finite (a NaN weight would make every dx NaN and test nothing), except when `wild`.
const convCase = fc
  .record({ N: small(1, 2), C: small(1, 4), H: small(3, 9), W: small(3, 9), O: small(1, 5), K: fc.constantFrom(1, 2, 3, 5), s: small(1, 2), p: small(0, 2), d: small(1, 2), which: fc.constantFrom(0, 1, 2), wild: fc.boolean(), v: valueSeed })
  .filter(({ H, W, K, p, d, s }) => outSize(H, K, s, Math.min(p, K - 1), d) >= 1 && outSize(W, K, s, Math.min(p, K - 1), d) >= 1)
  .map(({ N, C, H, W, O, K, s, p, d, which, wild, v }): OpCase => {
    const pad = Math.min(p, K - 1);
    const oh = outSize(H, K, s, pad, d);
    const ow = outSize(W, K, s, pad, d);
    const pool: Pool = wild ? 'noHuge' : 'finite';
    return {
      op: 'conv2d',
      note: `${['dx', 'dw', 'db'][which]}, stride ${s}, padding ${pad}, dilation ${d}`,
      inputs: [input([N, C, H, W], v, pool), input([O, C, K, K], { ...v, seed: v.seed + 1 }, pool), input([O], { ...v, seed: v.seed + 2 }, 'finite'), input([N, O, oh, ow], { ...v, seed: v.seed + 3 }, 'noHuge')],
      fn: vjp((x, w, b) => rl.conv2d(x!, w!, b!, { stride: s, padding: pad, dilation: d }), which),
      // Each gradient is a sum of products of g with x or w: its f32 error bound is the same sum over |terms|.
      linear: true,
      tol: { rtol: 1e-5, atol: 1e-5 },
    };
  });

// Pooling: the gradient routes g to each window's max (max pool; NaN and ties as the forward rules
// pick them) or spreads it evenly (average pool); the fused relu + max pool routes it and multiplies
// by step(z) (windows whose max is <= 0 or NaN pass nothing; Inf · 0 = NaN as relu's reluGrad).
const poolCase = fc
  .record({ kind: fc.constantFrom('max', 'reluMax', 'avg'), N: small(1, 2), C: small(1, 3), H: small(2, 9), W: small(2, 9), k: small(1, 3), s: small(1, 3), v: valueSeed })
  .filter(({ H, W, k }) => H >= k && W >= k)
  .map(({ kind, N, C, H, W, k, s, v }): OpCase => {
    const opts = { kernel: k, stride: s };
    const oh = outSize(H, k, s, 0, 1);
    const ow = outSize(W, k, s, 0, 1);
    const f = { max: (x: Tensor) => rl.maxPool2d(x, opts), reluMax: (x: Tensor) => rl.reluMaxPool2d(x, opts), avg: (x: Tensor) => rl.avgPool2d(x, opts) }[kind];
    return {
      op: { max: 'maxPool2d', reluMax: 'reluMaxPool2d', avg: 'avgPool2d' }[kind],
      note: `kernel ${k}, stride ${s}`,
      // max pool: distinct finite inputs (ties and NaN in x route the gradient by a rule both sides share,
      // tested in test/pool.test.ts); the fused op takes every special value in x too (a NaN or
      // non-positive window max gives no gradient); the cotangent takes every special value.
      inputs: [input([N, C, H, W], v, { max: 'finite', reluMax: 'full', avg: 'noHuge' }[kind] as Pool), input([N, C, oh, ow], { ...v, seed: v.seed + 1 }, 'noHuge')],
      fn: vjp(f, 0),
      linear: kind === 'avg',
      tol: { rtol: 1e-5, atol: 1e-6 },
    };
  });

const matmulCase = fc
  .record({ m: small(1, 9), k: small(1, 70), n: small(1, 9), batch: fc.constantFrom([], [2], [1, 3]), which: fc.constantFrom(0, 1), v: valueSeed })
  .map(({ m, k, n, batch, which, v }): OpCase => ({
    op: 'matmul',
    note: which === 0 ? 'da' : 'db',
    inputs: [input([...batch, m, k], v, 'finite'), input([...batch, k, n], { ...v, seed: v.seed + 1 }, 'finite'), input([...batch, m, n], { ...v, seed: v.seed + 2 }, 'noHuge')],
    fn: vjp((a, b) => rl.matmul(a!, b!), which),
    linear: true,
    tol: { rtol: 1e-5, atol: 1e-5 },
  }));

type Unary = [string, (x: Tensor) => Tensor, Pool];
const UNARY: Unary[] = [
  ['relu', rl.relu, 'full'], ['tanh', rl.tanh, 'noHuge'], ['sigmoid', rl.sigmoid, 'noHuge'], ['exp', rl.exp, 'noBig'],
  ['abs', rl.abs, 'full'], ['square', rl.square, 'noBig'], ['softmax', (x) => rl.softmax(x, -1), 'noHuge'], ['logSoftmax', (x) => rl.logSoftmax(x, -1), 'noHuge'],
];
const unaryCase = fc
  .record({ rows: small(1, 4), cols: fc.constantFrom(1, 3, 8, 10, 65), op: fc.constantFrom(...UNARY), v: valueSeed })
  .map(({ rows, cols, op: [name, f, pool], v }): OpCase => ({
    op: name,
    // x takes the special values its forward allows; the cotangent is finite, so the rule under test is
    // how each backward kernel treats NaN/Inf inputs (relu: g·[x > 0], NaN x gives NaN as in the oracle).
    inputs: [input([rows, cols], v, pool), input([rows, cols], { ...v, seed: v.seed + 1 }, 'finite')],
    fn: vjp(f, 0),
    tol: { rtol: 1e-4, atol: 1e-6 },
  }));

const ceCase = fc
  .record({ B: small(1, 6), C: small(2, 12), ls: fc.constantFrom(0, 0.1), red: fc.constantFrom('mean' as const, 'sum' as const), seed: fc.nat(1000), v: valueSeed })
  .map(({ B, C, ls, red, seed, v }): OpCase => {
    const y = Array.from({ length: B }, (_, i) => (seed * 7 + i * 3) % C);
    return {
      op: 'crossEntropy',
      note: `labels ${y.join(',')}, smoothing ${ls}, ${red}`,
      inputs: [input([B, C], v, 'noHuge'), { shape: [], values: [values(1, v.seed + 5, 'finite')[0]!] }],
      fn: vjp((z) => rl.nn.crossEntropy(z!, y, { labelSmoothing: ls, reduction: red }), 0),
      tol: { rtol: 1e-4, atol: 1e-6 },
    };
  });

// The fused kernel itself against soft, unnormalised targets (any real weights), gradients with
// respect to the logits (its backward kernel) and to the targets.
const softCeCase = fc
  .record({ B: small(1, 70), C: small(1, 12), wrt: fc.constantFrom(0, 1), v: valueSeed })
  .map(({ B, C, wrt, v }): OpCase => ({
    op: 'softmaxCrossEntropy',
    note: `d${wrt === 0 ? 'z' : 't'}`,
    inputs: [input([B, C], v, 'noHuge'), input([B, C], { ...v, seed: v.seed + 3 }, 'finite'), input([B], { ...v, seed: v.seed + 4 }, 'noHuge')],
    fn: vjp((z, t) => rl.softmaxCrossEntropy(z!, t!), wrt),
    tol: { rtol: 1e-4, atol: 1e-5 },
  }));

describe('op fuzz: backward kernels (GPU autograd vs float64 oracle)', () => {
  it('softmaxCrossEntropy backward (the fused kernel), soft targets', () => property('softmaxCrossEntropy backward', softCeCase, 20, 12, 1106));
  it('conv2d dx, dw and bias gradient with special cotangents', () => property('conv2d backward', convCase, 24, 12, 1101));
  it('max, fused relu + max and average pooling backward', () => property('pool backward', poolCase, 24, 12, 1102));
  it('matmul backward, batched', () => property('matmul backward', matmulCase, 16, 12, 1103));
  it('activations, softmax and logSoftmax backward on special inputs', () => property('activation backward', unaryCase, 20, 16, 1104));
  it('crossEntropy backward with label smoothing', () => property('crossEntropy backward', ceCase, 16, 12, 1105));
});
