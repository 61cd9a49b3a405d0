// Op fuzzing, values: NaN, ±Inf, ±0, huge (±1e30, ±3e38) and subnormal (±1e-40) inputs through every
// elementwise op and the reductions, on shapes that reach the vec4, grid and two-pass kernel paths.
// Each case must match the float64 CPU oracle under the NaN/Inf rules of src/backend/cpu/core.ts.
// Also: with finite inputs and the numerics check on, an op that makes NaN/Inf is named in the error.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import type { Tensor } from '../src/node.js';
import { centerColumns, gram, uCenter } from '../src/ops/hsic.js';
import { CaseCounter, fuzzProperty, SPECIALS, sizeOf, valueSeed, values, type OpCase, type Pool } from './helpers/fuzz.js';

const counter = new CaseCounter();
afterAll(() => console.log(counter.line('op fuzz (values)')));

const property = (name: string, arb: fc.Arbitrary<OpCase>, numRuns: number, batch: number, seed: number): Promise<void> =>
  fuzzProperty(counter, name, arb, numRuns, batch, seed);

// Sizes that take the vec4 paths (n % 4 == 0, n >= 64), the scalar ones, and long rows (two passes).
const SHAPES = [[], [1], [7], [64], [4, 17], [3, 5, 8], [2, 2, 2, 8], [130], [3, 16], [2, 2048], [2, 3, 1031]];
const shapeArb = fc.constantFrom(...SHAPES);
const input = (shape: number[], v: { seed: number; rate: number }, pool: Pool): { shape: number[]; values: Float64Array } => ({ shape, values: values(sizeOf(shape), v.seed, pool, v.rate) });
const param = fc.oneof(fc.constantFrom(...SPECIALS), fc.integer({ min: -3, max: 3 }), fc.double({ min: -4, max: 4, noNaN: true })).map(Math.fround); // f32 values: the GPU's uniform holds f32

const UNARY: [string, (x: Tensor) => Tensor][] = [
  ['neg', rl.neg], ['abs', rl.abs], ['sign', rl.sign], ['exp', rl.exp], ['log', rl.log], ['sqrt', rl.sqrt], ['relu', rl.relu],
  ['sigmoid', rl.sigmoid], ['tanh', rl.tanh], ['square', rl.square], ['reciprocal', rl.reciprocal], ['step', rl.step], ['rsqrt', rl.rsqrt],
];

const unaryCase: fc.Arbitrary<OpCase> = fc.oneof(
  fc.record({ s: shapeArb, op: fc.constantFrom(...UNARY), v: valueSeed }).map(({ s, op: [name, fn], v }): OpCase => ({ op: name, inputs: [input(s, v, 'full')], fn })),
  // alpha·x + beta: f32 rounds alpha·x (to Inf past 3.4e38) before adding beta, f64 does not; the
  // bound of a linear op lets such overflowing elements differ (see OpCase.linear).
  fc.record({ s: shapeArb, a: param, b: param, v: valueSeed }).map(({ s, a, b, v }): OpCase => ({ op: 'affine', note: `alpha ${a}, beta ${b}`, inputs: [input(s, v, 'full')], fn: (x) => rl.affine(x, a, Number.isFinite(a) ? b : 0), linear: true, boundFn: (x) => rl.affine(x, Math.abs(a), Math.abs(b)) })),
  // Bounds in either order (lo > hi gives hi, as torch.clamp); a NaN bound raises ValueError.
  fc.record({ s: shapeArb, a: param, b: param, v: valueSeed }).map(({ s, a, b, v }): OpCase => ({ op: 'clamp', note: `lo ${a}, hi ${b}`, inputs: [input(s, v, 'full')], fn: (x) => rl.clamp(x, a, b) })),
);

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', rl.add], ['sub', rl.sub], ['mul', rl.mul], ['div', rl.div], ['pow', rl.pow], ['max', rl.maximum], ['min', rl.minimum],
  ['lt', rl.lt], ['le', rl.le], ['gt', rl.gt], ['ge', rl.ge], ['eq', rl.eq], ['ne', rl.ne],
];

const binaryCase = fc
  .record({ s: shapeArb, op: fc.constantFrom(...BINARY), form: fc.constantFrom('same', 'scalar', 'row', 'swap'), va: valueSeed, vb: valueSeed })
  .map(({ s, op: [name, fn], form, va, vb }): OpCase => {
    // same: the contiguous (vec4) paths; scalar/row: broadcasting (the grid path); swap: broadcast on the left.
    const sb = form === 'same' ? s : form === 'scalar' ? [] : s.slice(-1);
    const [x, y] = form === 'swap' ? [sb, s] : [s, sb];
    return { op: name, inputs: [input(x, va, 'full'), input(y, vb, 'full')], fn, tol: name === 'pow' ? { rtol: 1e-4, atol: 1e-6 } : undefined };
  });

const whereCase = fc.record({ s: shapeArb, vc: valueSeed, va: valueSeed, vb: valueSeed }).map(({ s, vc, va, vb }): OpCase => ({
  op: 'where',
  inputs: [{ shape: s, values: values(sizeOf(s), vc.seed, 'full', 0.4).map((c) => (Math.abs(c) < 2 ? 0 : c)) }, input(s, va, 'full'), input(s.slice(-1), vb, 'full')],
  fn: rl.where,
}));

type Red = [string, Pool, (x: Tensor, axes: number[]) => Tensor, Partial<OpCase>];
const REDUCE: Red[] = [
  ['sum', 'noHuge', (x, a) => rl.sum(x, a), { linear: true }],
  ['mean', 'noHuge', (x, a) => rl.mean(x, a, true), { linear: true }],
  ['max', 'full', (x, a) => rl.max(x, a), {}],
  ['min', 'full', (x, a) => rl.min(x, a, true), {}],
  ['argmax', 'full', (x, a) => rl.argmax(x, a[0]), {}],
  ['logsumexp', 'noHuge', (x, a) => rl.logsumexp(x, a), { tol: { rtol: 1e-5, atol: 1e-5 } }],
  ['variance', 'noBig', (x, a) => rl.variance(x, a), { tol: { rtol: 1e-4, atol: 1e-4 } }],
  ['softmax', 'noHuge', (x, a) => rl.softmax(x, a[0]), { tol: { rtol: 1e-4, atol: 1e-6 } }],
  ['logSoftmax', 'noHuge', (x, a) => rl.logSoftmax(x, a[0]), { tol: { rtol: 1e-5, atol: 1e-5 } }],
];

const reduceCase = fc
  .record({ s: fc.constantFrom(...SHAPES.filter((s) => s.length > 0)), op: fc.constantFrom(...REDUCE), pick: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), last: fc.boolean(), v: valueSeed })
  .map(({ s, op: [name, pool, fn, extra], pick, last, v }): OpCase => {
    let axes = s.map((_, i) => i).filter((i) => pick[i]);
    if (axes.length === 0 || last) axes = [s.length - 1]; // the long contiguous rows
    return { op: name, inputs: [input(s, v, pool)], fn: (x) => fn(x, axes), ...extra };
  });

// The symmetric Gram matrix X·Xᵀ of X [n, ld] (ld a multiple of 4, as centerColumns pads it): n
// across the wide kernel's 16-row (24 from n = 256) and 32-column blocks, ld below and above its vec4 step.
const gramCase = fc
  .record({ n: fc.constantFrom(1, 3, 7, 16, 17, 33, 70, 259), ld: fc.constantFrom(4, 8, 12, 36), v: valueSeed })
  .map(({ n, ld, v }): OpCase => ({ op: 'gram', inputs: [input([n, ld], v, 'full')], fn: gram, linear: true }));

// Column centring in two passes: the fused kernels (one lane per column, or per 4 when p % 4 == 0)
// up to 1024 rows, the chunked passes past that. Huge values overflow the f32 column sums.
const centerCase = fc
  .record({ n: fc.constantFrom(1, 3, 7, 65, 130, 1030), p: fc.constantFrom(1, 3, 4, 8, 13), v: valueSeed })
  .map(({ n, p, v }): OpCase => ({ op: 'centerColumns', inputs: [input([n, p], v, 'noHuge')], fn: centerColumns, tol: { rtol: 1e-5, atol: 1e-5 } }));

// U-centring of an n × n matrix (its column sums in one dispatch up to 1024 rows); n < 4 raises.
// 'noBig': a ±1e30 entry's rounding error in the f32 column sums swamps the other entries.
const uCenterCase = fc
  .record({ n: fc.constantFrom(3, 4, 7, 65, 130), v: valueSeed })
  .map(({ n, v }): OpCase => ({ op: 'uCenter', inputs: [input([n, n], v, 'noBig')], fn: uCenter, tol: { rtol: 1e-5, atol: 1e-4 } }));

describe('op fuzz: special values (GPU vs float64 oracle)', () => {
  it('unary ops, affine and clamp on NaN, ±Inf, ±0, huge and subnormal inputs', () => property('unary', unaryCase, 100, 25, 901));
  it('binary ops and comparisons, contiguous and broadcast', () => property('binary', binaryCase, 100, 25, 902));
  it('where with NaN, Inf and zero conditions', () => property('where', whereCase, 16, 20, 903));
  it('reductions, argmax, logsumexp, variance, softmax over short and long axes', () => property('reduce', reduceCase, 60, 20, 904));
  it('the symmetric Gram matrix (the wide subgroup kernel on lavapipe)', () => property('gram', gramCase, 12, 10, 906));
  it('column centring (fused and chunked kernels)', () => property('centerColumns', centerCase, 12, 10, 907));
  it('U-centring (fused column sums)', () => property('uCenter', uCenterCase, 12, 10, 908));
});

// ---------- numerics check ----------

/** Ops that turn finite inputs into NaN or Inf at one element (`bad` sets that element). */
const MAKERS: [string, (xs: Tensor[]) => Tensor, (v: Float64Array[], i: number) => void][] = [
  ['log', ([x]) => rl.log(x!), ([x], i) => void (x![i] = -Math.abs(x![i]!) - 0.5)],
  ['sqrt', ([x]) => rl.sqrt(x!), ([x], i) => void (x![i] = -1)],
  ['rsqrt', ([x]) => rl.rsqrt(x!), ([x], i) => void (x![i] = 0)],
  ['exp', ([x]) => rl.exp(x!), ([x], i) => void (x![i] = 100)],
  ['reciprocal', ([x]) => rl.reciprocal(x!), ([x], i) => void (x![i] = 0)],
  ['square', ([x]) => rl.square(x!), ([x], i) => void (x![i] = 2e19)],
  ['div', ([x, y]) => rl.div(x!, y!), ([, y], i) => void (y![i] = 0)],
  ['mul', ([x, y]) => rl.mul(x!, y!), ([x, y], i) => void (x![i] = y![i] = 1e20)],
  ['pow', ([x, y]) => rl.pow(x!, y!), ([x, y], i) => void ((x![i] = -2), (y![i] = 0.5))],
  ['sum', ([x]) => rl.sum(x!, -1), ([x], i) => void (x![i] = 3e38, x![(i + 1) % x!.length] = 3e38)],
];

describe('op fuzz: the numerics check names the op that made NaN/Inf', () => {
  it('finite inputs, an op that overflows or leaves its domain: NumericsError naming that op', async () => {
    let cases = 0;
    let raised = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ op: fc.constantFrom(...MAKERS), n: fc.integer({ min: 2, max: 80 }), at: fc.nat(), bad: fc.boolean(), seed: fc.nat() }), { minLength: 20, maxLength: 20 }),
        async (specs) => {
          rl.setNumericsCheck(true);
          const outs = specs.map(({ op: [name, fn, poison], n, at, bad, seed }) => {
            // Inputs in [0.5, 2]: every maker is finite there unless `poison` sets one element.
            const vs = [0, 1].map((k) => values(n, seed + k, 'finite', 0).map((v) => 0.5 + Math.abs(v) / 2.7));
            if (bad) poison(vs, at % n);
            const out = rl.tidy(() => {
              const xs = vs.map((v) => rl.tensor(v, [n]));
              return fn(xs);
            });
            return { name, bad, out };
          });
          const results = await Promise.allSettled(outs.map((o) => o.out.data()));
          outs.forEach((o) => o.out.dispose());
          results.forEach((r, k) => {
            const { name, bad } = outs[k]!;
            if (!bad) return expect(r.status, `${name} on finite inputs in its domain`).toBe('fulfilled');
            expect(r.status, `${name} must fail the numerics check`).toBe('rejected');
            const e = (r as PromiseRejectedResult).reason as Error;
            expect(e).toBeInstanceOf(rl.NumericsError);
            expect(e.message.startsWith(`${name}: produced`), e.message).toBe(true);
          });
          cases += specs.length;
          raised += outs.filter((o) => o.bad).length;
        },
      ),
      { numRuns: 30, seed: 905 },
    );
    counter.add('numerics', cases, raised);
  });
});
