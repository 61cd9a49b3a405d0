// Op fuzzing, backward kernels (and the forward of the stride-1 3x3 row kernels): the gradients of conv2d (input and weight: conv2dBackwardInput and
// conv2dBackwardWeight, including the stride-1 3x3 row/column and 1-channel strip kernels) and of max and average pooling,
// through grad(sum(op(...) · gy)), whose gradient is the op's VJP applied to gy. Random valid and
// invalid geometry; values include NaN, ±Inf, ±0, huge and subnormal numbers in x, w and gy. Each case
// must match the float64 CPU oracle (or raise the same clear error on both backends).
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import * as rl from '../src/node.js';
import { convVariants } from '../src/kernels/conv.js';
import type { Tensor } from '../src/node.js';
import { CaseCounter, fuzzProperty, sizeOf, valueSeed, values, type OpCase, type Pool } from './helpers/fuzz.js';

const counter = new CaseCounter();
afterAll(() => console.log(counter.line('op fuzz (gradients)')));

const small = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });
const input = (shape: number[], v: { seed: number; rate: number }, pool: Pool, k = 0): { shape: number[]; values: Float64Array } => ({ shape, values: values(sizeOf(shape), v.seed + k, pool, v.rate) });
const out = (n: number, k: number, s: number, p: number, d = 1): number => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

/** d/d(wrt) of Σ op(xs) · gy: the op's backward kernel applied to gy. */
const vjp = (op: (...xs: Tensor[]) => Tensor, wrt: number) => (...all: Tensor[]): Tensor => {
  const gy = all[all.length - 1]!;
  const xs = all.slice(0, -1);
  return rl.grad(() => rl.sum(rl.mul(op(...xs), gy)), [xs[wrt]!])[0]!;
};

// Half the cases take the stride-1 3x3 geometry of the row and column kernels (widths past one
// 8-pixel segment, C = 8 and 16 for the subgroup-shared gradients), the rest anything.
const rowGeom = fc.record({ KH: fc.constant(3), KW: fc.constant(3), s: fc.constant(1), p: small(0, 2), d: fc.constant(1), C: fc.constantFrom(1, 2, 3, 8, 16), H: small(1, 7), W: small(3, 19) });
const anyGeom = fc.record({ KH: small(1, 3), KW: small(1, 4), s: small(1, 3), p: small(0, 2), d: small(1, 2), C: small(1, 3), H: small(3, 9), W: small(1, 9) });

const convGradCase = fc
  .record({ geo: fc.oneof(rowGeom, anyGeom), N: small(1, 2), O: small(1, 9), wrt: fc.constantFrom(0, 1), bias: fc.boolean(), v: valueSeed })
  .map(({ geo: { KH, KW, s, p, d, C, H, W }, N, O, wrt, bias, v }): OpCase => {
    const OH = Math.max(1, out(H, KH, s, p, d));
    const OW = Math.max(1, out(W, KW, s, p, d));
    const opts = { stride: s, padding: p, dilation: d };
    return {
      op: 'conv2d',
      note: `d${wrt === 0 ? 'x' : 'w'}, stride ${s}, padding ${p}, dilation ${d}`,
      inputs: [
        input([N, C, H, W], v, 'noHuge'), input([O, C, KH, KW], v, 'noHuge', 1),
        ...(bias ? [input([O], v, 'noHuge', 2)] : []), input([N, O, OH, OW], v, 'noHuge', 3),
      ],
      fn: vjp((x, w, b) => rl.conv2d(x!, w!, bias ? b! : null, opts), wrt),
      linear: true,
      tol: { rtol: 1e-5, atol: 1e-5 },
    };
  });

// The input gradient into ONE channel (x of 1 channel: the strip kernels, conv_strips.wgsl): gy
// channels not a multiple of 8, odd widths, heights past one row chunk; special values in w and gy
// (an Inf or NaN weight must add nothing at taps on gy's padding).
const dx1Case = fc
  .record({ O: fc.constantFrom(1, 2, 3, 9, 33), N: small(1, 2), H: small(1, 11), W: small(1, 19), p: small(0, 2), v: valueSeed })
  .map(({ O, N, H, W, p, v }): OpCase => ({
    op: 'conv2d',
    note: `dx into 1 channel, padding ${p}`,
    inputs: [input([N, 1, H, W], v, 'noHuge'), input([O, 1, 3, 3], v, 'noHuge', 1), input([N, O, Math.max(1, out(H, 3, 1, p)), Math.max(1, out(W, 3, 1, p))], v, 'noHuge', 3)],
    fn: vjp((x, w) => rl.conv2d(x!, w!, null, { padding: p }), 0),
    linear: true,
    tol: { rtol: 1e-5, atol: 1e-5 },
  }));

// The forward from ONE input channel (the strip kernel, conv_strips_c1.wgsl): padding 0 to 3 (padded
// rows multiply their zeros: 0 · Inf = NaN), special values in x, w and the bias.
const fwd1Case = fc
  .record({ O: fc.constantFrom(1, 3, 9, 33), N: small(1, 2), H: small(1, 11), W: small(1, 19), p: small(0, 3), bias: fc.boolean(), v: valueSeed })
  .filter(({ H, W, p }) => out(H, 3, 1, p) >= 1 && out(W, 3, 1, p) >= 1)
  .map(({ O, N, H, W, p, bias, v }): OpCase => ({
    op: 'conv2d',
    note: `forward from 1 channel, padding ${p}`,
    inputs: [input([N, 1, H, W], v, 'noHuge'), input([O, 1, 3, 3], v, 'noHuge', 1), ...(bias ? [input([O], v, 'noHuge', 2)] : [])],
    fn: (x, w, b) => rl.conv2d(x!, w!, bias ? b! : null, { padding: p }),
    linear: true,
    tol: { rtol: 1e-5, atol: 1e-5 },
  }));

// kind: max, fused relu + max (reluMaxPool2d: the max rule times step(z), special values in z and gy), average.
const poolGradCase = fc
  .record({ kind: fc.constantFrom('max', 'reluMax', 'avg'), N: small(1, 2), C: small(1, 3), H: small(2, 9), W: small(2, 9), k: small(1, 3), s: fc.option(small(1, 3)), p0: small(0, 1), v: valueSeed })
  .map(({ kind, N, C, H, W, k, s, p0, v }): OpCase => {
    const p = Math.min(p0, Math.floor(k / 2));
    const st = s ?? k;
    const g = [N, C, Math.max(1, out(H, k, st, p)), Math.max(1, out(W, k, st, p))];
    const opts = { kernel: k, stride: s ?? undefined, padding: p };
    const tol = { rtol: 1e-6, atol: 0 };
    if (kind === 'max') return { op: 'maxPool2d', inputs: [input([N, C, H, W], v, 'full'), input(g, v, 'noHuge', 1)], fn: vjp((x) => rl.maxPool2d(x!, opts), 0), linear: true, tol };
    if (kind === 'reluMax') return { op: 'reluMaxPool2d', inputs: [input([N, C, H, W], v, 'full'), input(g, v, 'noHuge', 1)], fn: vjp((x) => rl.reluMaxPool2d(x!, opts), 0), linear: true, tol };
    return { op: 'avgPool2d', inputs: [input([N, C, H, W], v, 'noHuge'), input(g, v, 'noHuge', 1)], fn: vjp((x) => rl.avgPool2d(x!, opts), 0), linear: true };
  });

// The forward on the same geometry: the row kernels' forms (8 channels, vec4 stores where rows
// are a multiple of 4 wide, 4 and fewer channels) see special values in x, w and the bias.
const convRowCase = fc
  .record({ geo: rowGeom, N: small(1, 2), O: small(1, 12), bias: fc.boolean(), v: valueSeed })
  .map(({ geo: { C, H, W, p }, N, O, bias, v }): OpCase => ({
    op: 'conv2d',
    note: `forward, padding ${p}`,
    inputs: [input([N, C, H, W], v, 'noHuge'), input([O, C, 3, 3], v, 'noHuge', 1), ...(bias ? [input([O], v, 'noHuge', 2)] : [])],
    fn: (x, w, b) => rl.conv2d(x!, w!, bias ? b! : null, { padding: p }),
    linear: true,
    tol: { rtol: 1e-5, atol: 1e-5 },
  }));

// relu's backward (one reluGrad pass, g · step(x)) on the shapes of the vec4 and scalar paths.
const reluGradCase = fc
  .record({ s: fc.constantFrom<number[]>([7], [64], [4, 17], [3, 5, 8], [2, 2048]), v: valueSeed })
  .map(({ s, v }): OpCase => ({ op: 'relu', inputs: [input(s, v, 'full'), input(s, v, 'full', 1)], fn: vjp((x) => rl.relu(x!), 0), tol: { rtol: 0, atol: 0 } }));

describe('op fuzz: backward kernels (GPU vs float64 oracle)', () => {
  it('relu gradient', () => property('relu grad', reluGradCase, 12, 15, 815));
  it('conv2d forward on the row kernels\' geometry', () => property('conv2d rows', convRowCase, 16, 15, 814));
  it('conv2d input and weight gradients, row/column kernels and the generic ones', () => property('conv2d grad', convGradCase, 32, 15, 811));
  it('conv2d gradients without subgroups (the kernels of adapters that lack them)', async () => {
    convVariants.subgroups = false;
    try {
      await property('conv2d grad, no subgroups', convGradCase, 16, 15, 813);
    } finally {
      convVariants.subgroups = true;
    }
  });
  it('conv2d gradients, dw column kernel with 8 output channels (with and without subgroups)', async () => {
    const saved = { ...convVariants };
    try {
      Object.assign(convVariants, { dwChannels: 8, dwLanes: 16 });
      await property('conv2d grad, dw 8 ch', convGradCase, 12, 15, 819);
      convVariants.subgroups = false;
      await property('conv2d grad, dw 8 ch, no subgroups', convGradCase, 8, 15, 820);
    } finally {
      Object.assign(convVariants, saved);
    }
  });
  it('conv2d input gradient into one channel: strips of 5 to 8 pixels, with and without subgroups', async () => {
    const saved = { ...convVariants };
    try {
      await property('conv2d dx1', dx1Case, 16, 15, 816);
      Object.assign(convVariants, { stripPx: 5, stripRows: 3, subgroups: false });
      await property('conv2d dx1, 5 px x 3 rows, no subgroups', dx1Case, 12, 15, 817);
      Object.assign(convVariants, { stripPx: 8, stripRows: 2, subgroups: true });
      await property('conv2d dx1, 8 px x 2 rows', dx1Case, 12, 15, 818);
    } finally {
      Object.assign(convVariants, saved);
    }
  });
  it('conv2d forward from one channel: strips of 4 to 8 pixels', async () => {
    const saved = { ...convVariants };
    try {
      await property('conv2d fwd1', fwd1Case, 16, 15, 819);
      Object.assign(convVariants, { stripPx: 5, stripRows: 3 });
      await property('conv2d fwd1, 5 px x 3 rows', fwd1Case, 12, 15, 820);
    } finally {
      Object.assign(convVariants, saved);
    }
  });
  it('max, fused relu + max and average pooling gradients', () => property('pool grad', poolGradCase, 30, 15, 812));
});

function property(name: string, arb: fc.Arbitrary<OpCase>, numRuns: number, batch: number, seed: number): Promise<void> {
  return fuzzProperty(counter, name, arb, numRuns, batch, seed);
}
