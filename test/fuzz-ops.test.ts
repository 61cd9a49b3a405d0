// Op fuzzing, shapes: random valid and invalid shapes and parameters for a broad list of public ops.
// Every case must match the float64 CPU oracle (values include NaN, ±Inf, ±0, huge and subnormal
// numbers where the op allows them: see helpers/fuzz.ts) or raise ShapeError / ValueError /
// DTypeError / LimitError naming the op on both backends. Seeded and with fixed run counts.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import type { Tensor } from '../src/node.js';
import { engine } from '../src/engine.js';
import { CaseCounter, fuzzProperty, broadcastPairArb, shapeArb, sizeOf, valueSeed, values, type Input, type OpCase, type Pool } from './helpers/fuzz.js';

const counter = new CaseCounter();
afterAll(() => console.log(counter.line('op fuzz (shapes)')));

const property = (name: string, arb: fc.Arbitrary<OpCase>, numRuns: number, batch: number, seed: number): Promise<void> =>
  fuzzProperty(counter, name, arb, numRuns, batch, seed);

/** true in about one case of `n`: the share of deliberately invalid parameters. */
const rarely = (n: number): fc.Arbitrary<boolean> => fc.integer({ min: 1, max: n }).map((k) => k === 1);

const input = (shape: number[], v: { seed: number; rate: number }, pool: Pool): { shape: number[]; values: Float64Array } => ({ shape, values: values(sizeOf(shape), v.seed, pool, v.rate) });
/** An int32 operand where float32 is needed: must raise DTypeError naming the op. */
const asInt = (i: { shape: number[]; values: Float64Array }): Input => ({ ...i, values: i.values.map((x) => (Number.isFinite(x) ? Math.round(x) % 1000 : 0)), dtype: 'int32' });

// ---------- broadcasting binary ops and where ----------

const BINARY: [string, string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', 'add', rl.add], ['sub', 'sub', rl.sub], ['mul', 'mul', rl.mul], ['div', 'div', rl.div], ['pow', 'pow', rl.pow],
  ['maximum', 'max', rl.maximum], ['minimum', 'min', rl.minimum],
  ['lt', 'lt', rl.lt], ['le', 'le', rl.le], ['gt', 'gt', rl.gt], ['ge', 'ge', rl.ge], ['eq', 'eq', rl.eq], ['ne', 'ne', rl.ne],
];

const binaryCase = fc.record({ p: broadcastPairArb, op: fc.constantFrom(...BINARY), va: valueSeed, vb: valueSeed, int: rarely(20) }).map(
  ({ p, op: [, name, fn], va, vb, int }): OpCase => ({
    op: name,
    inputs: [input(p.a, va, 'full'), int ? asInt(input(p.b, vb, 'full')) : input(p.b, vb, 'full')],
    fn,
    tol: name === 'pow' ? { rtol: 1e-4, atol: 1e-6 } : undefined,
  }),
);

const whereCase = fc.record({ p: broadcastPairArb, c: shapeArb(0, 3), vc: valueSeed, va: valueSeed, vb: valueSeed }).map(
  ({ p, c, vc, va, vb }): OpCase => ({
    op: 'where',
    inputs: [{ shape: c, values: values(sizeOf(c), vc.seed, 'full', 0.3).map((x) => (Math.abs(x) < 1 ? 0 : x)) }, input(p.a, va, 'full'), input(p.b, vb, 'full')],
    fn: rl.where,
  }),
);

// ---------- reductions and softmax over random axes ----------

type Red = [string, Pool, (x: Tensor, axes: number[], keep: boolean) => Tensor, Partial<OpCase>];
const REDUCE: Red[] = [
  ['sum', 'noHuge', (x, a, k) => rl.sum(x, a, k), { linear: true }],
  ['mean', 'noHuge', (x, a, k) => rl.mean(x, a, k), { linear: true }],
  ['max', 'full', (x, a, k) => rl.max(x, a, k), {}],
  ['min', 'full', (x, a, k) => rl.min(x, a, k), {}],
  ['logsumexp', 'noHuge', (x, a, k) => rl.logsumexp(x, a, k), { tol: { rtol: 1e-5, atol: 1e-5 } }],
  ['variance', 'noBig', (x, a, k) => rl.variance(x, a, k), { tol: { rtol: 1e-4, atol: 1e-4 } }],
  ['argmax', 'full', (x, a) => rl.argmax(x, a[0]), {}],
  ['softmax', 'noHuge', (x, a) => rl.softmax(x, a[0]), { tol: { rtol: 1e-4, atol: 1e-6 } }],
  ['logSoftmax', 'noHuge', (x, a) => rl.logSoftmax(x, a[0]), { tol: { rtol: 1e-5, atol: 1e-5 } }],
];

const reduceCase = fc
  .record({ shape: shapeArb(1, 4), op: fc.constantFrom(...REDUCE), pick: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }), bad: fc.oneof({ arbitrary: fc.constant(null), weight: 6 }, { arbitrary: fc.constantFrom(-6, 4, 'repeat' as const), weight: 1 }), keep: fc.boolean(), int: rarely(20), v: valueSeed })
  .map(({ shape, op: [name, pool, fn, extra], pick, bad, keep, int, v }): OpCase => {
    // Each axis: skipped (0), taken as i (1) or as i − rank (2); at least one axis.
    let picks = shape.map((_, i) => (pick[i] === 1 ? i : pick[i] === 2 ? i - shape.length : null)).filter((a): a is number => a !== null);
    if (picks.length === 0) picks = [pick[0]! === 2 ? -1 : shape.length - 1];
    if (bad === 'repeat') picks.push(picks[0]!);
    else if (bad !== null) picks.unshift(bad);
    return {
    op: name,
    // Axes out of range (|a| > rank) or repeated must raise ShapeError.
    inputs: [int ? asInt(input(shape, v, pool)) : input(shape, v, pool)],
    fn: (x) => fn(x, picks, keep),
    note: `axes [${picks.join(', ')}]`,
    ...extra,
  };
  });

// ---------- matmul ----------

const matDim = fc.constantFrom(1, 2, 3, 5, 7, 16, 17, 33);
const matmulCase = fc
  .record({ m: matDim, k: matDim, n: matDim, k2: fc.oneof({ arbitrary: fc.constant(null), weight: 10 }, { arbitrary: matDim, weight: 1 }), ba: shapeArb(0, 2), bb: fc.oneof(fc.constant('same' as const), fc.constant('ones' as const), shapeArb(0, 2)), ta: fc.boolean(), tb: fc.boolean(), vec: rarely(12), va: valueSeed, vb: valueSeed })
  .map(({ m, k, n, k2, ba, bb, ta, tb, vec, va, vb }): OpCase => {
    // A batch of one broadcasts; another batch must equal it (a random one usually raises).
    const bB = bb === 'same' ? ba : bb === 'ones' ? ba.map(() => 1) : bb;
    const a = [...ba, ...(ta ? [k, m] : [m, k])];
    const b = [...bB, ...(tb ? [n, k2 ?? k] : [k2 ?? k, n])];
    return {
      op: 'matmul',
      inputs: [input(vec ? [k] : a, va, 'noHuge'), input(b, vb, 'noHuge')], // a vector operand must raise
      fn: (x, y) => rl.matmulT(x, y, ta, tb),
      linear: true,
      tol: { rtol: 1e-5, atol: 1e-5 },
    };
  });

// ---------- layout ----------

const exact = { rtol: 0, atol: 0 };
const permutationOf = (r: number): fc.Arbitrary<number[]> => fc.shuffledSubarray([...Array(r).keys()], { minLength: r, maxLength: r });

const layoutCase: fc.Arbitrary<OpCase> = fc.oneof(
  // reshape: a shuffled factorisation (one axis maybe -1), or a random shape (usually a mismatch)
  fc.record({ s: shapeArb(0, 4), perm: fc.array(fc.nat()), free: fc.boolean(), other: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: shapeArb(0, 4), weight: 1 }), v: valueSeed }).map(({ s, perm, free, other, v }): OpCase => {
    const t = other ?? [...s].sort((x, y) => (perm[x] ?? x) - (perm[y] ?? y));
    if (free && t.length > 0 && !other) t[0] = -1;
    return { op: 'reshape', inputs: [input(s, v, 'full')], fn: (x) => rl.reshape(x, t), tol: exact };
  }),
  fc.record({ s: shapeArb(1, 4), bad: rarely(6), v: valueSeed }).chain(({ s, bad, v }) =>
    permutationOf(s.length).map((p): OpCase => ({ op: 'permute', inputs: [input(s, v, 'full')], fn: (x) => rl.permute(x, bad ? [...p.slice(1), p[0]!, 0] : p), tol: exact })),
  ),
  fc.record({ s: shapeArb(1, 4), st: fc.array(fc.integer({ min: -8, max: 8 }), { maxLength: 4 }), en: fc.array(fc.option(fc.integer({ min: -8, max: 8 })), { maxLength: 4 }), steps: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }), zeroStep: rarely(10), v: valueSeed }).map(
    ({ s, st, en, steps, zeroStep, v }): OpCase => ({ op: 'slice', inputs: [input(s, v, 'full')], fn: (x) => rl.slice(x, st, en.map((e) => e ?? undefined), zeroStep ? [0] : steps), tol: exact }),
  ),
  fc.record({ s: shapeArb(1, 4), axis: fc.integer({ min: -4, max: 3 }), lens: fc.array(fc.constantFrom(1, 2, 3), { minLength: 1, maxLength: 3 }), clash: fc.boolean(), v: valueSeed }).map(({ s, axis, lens, clash, v }): OpCase => {
    const a = axis < 0 ? axis + s.length : axis;
    const shapes = lens.map((l, i) => s.map((d, j) => (j === a ? l : clash && i === 1 ? d + 1 : d)));
    return { op: 'concat', inputs: shapes.map((sh, i) => input(sh, { ...v, seed: v.seed + i }, 'full')), fn: (...xs) => rl.concat(xs, axis), tol: exact };
  }),
  fc.record({ s: shapeArb(1, 4), pads: fc.array(fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 0, max: 3 })), { maxLength: 4 }), value: fc.constantFrom(0, -1, NaN, Infinity, 1e-40), v: valueSeed }).map(
    ({ s, pads, value, v }): OpCase => ({ op: 'pad', inputs: [input(s, v, 'full')], fn: (x) => rl.pad(x, pads, value), tol: exact }),
  ),
  fc.record({ s: shapeArb(1, 4), axis: fc.integer({ min: -4, max: 3 }), n: fc.integer({ min: 1, max: 6 }), r: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), float: rarely(6), v: valueSeed }).map(({ s, axis, n, r, float, v }): OpCase => {
    const len = s[axis < 0 ? axis + s.length : axis] ?? 1;
    // In-range indices (repeats allowed); float32 indices must raise.
    const idx = { shape: [n], values: r.slice(0, n).map((k) => k % len), dtype: float ? undefined : ('int32' as const) };
    return { op: 'gather', inputs: [input(s, v, 'full'), idx], fn: (x, i) => rl.gather(x, i!, axis), tol: exact };
  }),
  fc.record({ p: broadcastPairArb, v: valueSeed }).map(({ p, v }): OpCase => ({ op: 'broadcastTo', inputs: [input(p.a, v, 'full')], fn: (x) => rl.broadcastTo(x, p.b), tol: exact })),
);

// ---------- convolution and pooling ----------

const small = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });
const convCase = fc
  .record({ N: small(1, 2), C: small(1, 3), H: small(3, 9), W: small(1, 9), O: small(1, 3), KH: small(1, 3), KW: small(1, 4), s0: small(1, 3), p0: small(0, 2), d: small(1, 2), bias: fc.boolean(), cw: fc.oneof({ arbitrary: fc.constant(null), weight: 12 }, { arbitrary: small(1, 3), weight: 1 }), badS: rarely(12), badP: rarely(12), v: valueSeed })
  .map(({ N, C, H, W, O, KH, KW, s0, p0, d, bias, cw, badS, badP, v }): OpCase => {
    const s = badS ? 0 : s0;
    const p = badP ? -1 : p0;
    return {
    op: 'conv2d',
    inputs: [input([N, C, H, W], v, 'noHuge'), input([O, cw ?? C, KH, KW], { ...v, seed: v.seed + 1 }, 'noHuge'), ...(bias ? [input([O], { ...v, seed: v.seed + 2 }, 'noHuge')] : [])],
    fn: (x, w, b) => rl.conv2d(x, w!, b ?? null, { stride: [s, Math.max(s, 1)], padding: [Math.max(p, 0), p], dilation: d }),
    note: `stride ${s}, padding ${p}, dilation ${d}`,
    linear: true,
    tol: { rtol: 1e-5, atol: 1e-5 },
  };
  });

// kind: max, fused relu + max (reluMaxPool2d, exact as max), average.
const poolCase = fc
  .record({ kind: fc.constantFrom('max', 'reluMax', 'avg'), N: small(1, 2), C: small(1, 3), H: small(2, 8), W: small(2, 8), k0: small(1, 4), s: fc.option(small(1, 3)), p0: small(0, 2), badK: rarely(12), badP: rarely(8), v: valueSeed })
  .map(({ kind, N, C, H, W, k0, s, p0, badK, badP, v }): OpCase => {
    const k = badK ? 0 : k0;
    const p = badP ? p0 + 1 : Math.min(p0, Math.floor(k0 / 2)); // more than half the kernel raises
    const opts = { kernel: [k, Math.max(k, 1)] as [number, number], stride: s ?? undefined, padding: p };
    if (kind === 'max') return { op: 'maxPool2d', inputs: [input([N, C, H, W], v, 'full')], fn: (x) => rl.maxPool2d(x, opts), tol: exact };
    if (kind === 'reluMax') return { op: 'reluMaxPool2d', inputs: [input([N, C, H, W], v, 'full')], fn: (x) => rl.reluMaxPool2d(x, opts), tol: exact };
    return { op: 'avgPool2d', inputs: [input([N, C, H, W], v, 'noHuge')], fn: (x) => rl.avgPool2d(x, opts), linear: true };
  });

const ceCase = fc
  .record({ B: small(1, 5), C: small(1, 7), labels: fc.array(fc.oneof({ arbitrary: fc.nat(6), weight: 30 }, { arbitrary: fc.constantFrom(-1, 7), weight: 1 }), { minLength: 5, maxLength: 5 }), ls: fc.constantFrom(0, 0, 0.1, 0.1, 0.5, 1), red: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const), hostLabels: fc.boolean(), v: valueSeed })
  .map(({ B, C, labels, ls, red, hostLabels, v }): OpCase => {
    const y = labels.slice(0, B).map((l) => (l === 7 ? C : l < 0 && hostLabels ? -1 : Math.abs(l) % C));
    return {
      op: 'crossEntropy',
      inputs: hostLabels ? [input([B, C], v, 'noHuge')] : [input([B, C], v, 'noHuge'), { shape: [B], values: y, dtype: 'int32' }],
      // Device labels out of range cannot be checked without a readback: those cases use host labels.
      fn: (z, t) => rl.nn.crossEntropy(z, hostLabels ? y : t!, { labelSmoothing: ls, reduction: red }),
      tol: { rtol: 1e-4, atol: 1e-5 },
    };
  })
  .filter((c) => c.inputs.length === 1 || Array.from(c.inputs[1]!.values).every((l) => l >= 0 && l < c.inputs[0]!.shape[1]!));

// ---------- empty and huge shapes ----------

/** A shape of rank 1..4 with at least one 0 dim: robustlens has no empty tensors (ShapeError). */
const emptyShape = fc.record({ s: shapeArb(1, 4), at: fc.nat(3) }).map(({ s, at }) => s.map((d, i) => (i === at % s.length ? 0 : d)));
const emptyCase = fc.record({ s: emptyShape, kind: fc.nat(8), v: valueSeed }).map(({ s, kind, v }): OpCase => {
  const x = input([2, 3], v, 'full');
  const on = (t: Tensor): { backend: rl.Backend } => ({ backend: t.backend });
  const k: [string, (t: Tensor) => Tensor][] = [
    ['tensor', (t) => rl.tensor([], s, on(t))], ['full', (t) => rl.full(s, 1, on(t))], ['full', (t) => rl.zeros(s, on(t))],
    ['rand', (t) => rl.rand(s, 1, on(t))], ['randn', (t) => rl.randn(s, 1, on(t))], ['reshape', (t) => rl.reshape(t, s)],
    ['slice', (t) => rl.slice(t, [1, 2], [1, 2])], ['arange', (t) => rl.arange(3, 3, 1, on(t))], ['broadcastTo', (t) => rl.broadcastTo(t, s)],
  ];
  const [op, fn] = k[kind]!;
  return { op, note: `shape [${s.join(', ')}]`, inputs: [x], fn };
});

// Past the device's largest buffer and past 2^32 elements (65537² > 2^32).
const HUGE = [65537, 100003, 1 << 20];
const hugeArb = fc.record({ a: fc.constantFrom(...HUGE), b: fc.constantFrom(...HUGE), c: fc.constantFrom(1, 3), kind: fc.nat(12) });
function hugeOp({ a, b, c, kind }: { a: number; b: number; c: number; kind: number }): { op: string; inputs: number[][]; fn: (...xs: Tensor[]) => Tensor } {
  const big = [a, b, c];
  const ops: { op: string; inputs: number[][]; fn: (...xs: Tensor[]) => Tensor }[] = [
    { op: 'full', inputs: [], fn: () => rl.zeros(big) },
    { op: 'rand', inputs: [], fn: () => rl.rand(big, 1) },
    { op: 'randn', inputs: [], fn: () => rl.randn(big, 1) },
    { op: 'arange', inputs: [], fn: () => rl.arange(0, a * b) },
    { op: 'add', inputs: [[a, 1], [1, b]], fn: (x, y) => rl.add(x!, y!) },
    { op: 'max', inputs: [[a, 1, 1], [1, b, c]], fn: (x, y) => rl.maximum(x!, y!) },
    { op: 'where', inputs: [[a, 1], [1, b], [1]], fn: (x, y, z) => rl.where(x!, y!, z!) },
    { op: 'matmul', inputs: [[a, 1], [1, b]], fn: (x, y) => rl.matmul(x!, y!) },
    { op: 'broadcastTo', inputs: [[1, 1]], fn: (x) => rl.broadcastTo(x!, [a, b]) },
    { op: 'pad', inputs: [[2, 2]], fn: (x) => rl.pad(x!, [[a, 0], [0, b]]) },
    { op: 'conv2d', inputs: [[1, 1, 2, 2], [1, 1, 1, 1]], fn: (x, w) => rl.conv2d(x!, w!, null, { padding: a }) },
    { op: 'sub', inputs: [[b], [a, 1]], fn: (x, y) => rl.sub(x!, y!) },
    { op: 'matmul', inputs: [[a, 1, 1], [1, 1, 1]], fn: (x, y) => rl.matmul(x!, y!) }, // a batch past 65535 dispatches
  ];
  return ops[kind]!;
}

describe('op fuzz: empty and huge shapes', () => {
  it('a 0 dim raises ShapeError naming the op', () => property('empty', emptyCase, 10, 20, 809));

  it('outputs past the device limit or 2^32 elements raise LimitError before allocating anything', async () => {
    const rt = engine.runtime!;
    const create = rt.createStorage.bind(rt);
    let allocs = 0;
    let cases = 0;
    const rss0 = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(hugeArb, async (h) => {
        const { op, inputs, fn } = hugeOp(h);
        const xs = inputs.map((s) => rl.ones(s));
        rt.createStorage = (bytes: number, label: string) => (allocs++, create(bytes, label));
        let err: unknown = null;
        try {
          rl.tidy(() => fn(...xs));
        } catch (e) {
          err = e;
        } finally {
          rt.createStorage = create;
          xs.forEach((t) => t.dispose());
        }
        expect(err, `${op} on ${JSON.stringify(h)}`).toBeInstanceOf(rl.LimitError);
        expect((err as Error).message).toContain(op);
        expect(allocs, `${op}: no buffer may be allocated before the refusal`).toBe(0);
        cases++;
      }),
      { numRuns: 100, seed: 810 },
    );
    // No host allocation either: a refused 65537² tensor would have taken 16 GiB or more.
    expect(process.memoryUsage().rss - rss0).toBeLessThan(512 * 2 ** 20);
    counter.add('huge', cases, cases);
  });
});

describe('op fuzz: shapes and parameters (GPU vs float64 oracle)', () => {
  it('binary ops broadcast compatible shapes of rank 0..4 and reject incompatible ones', () => property('binary', binaryCase, 60, 20, 801));
  it('where broadcasts three operands', () => property('where', whereCase, 20, 15, 802));
  it('reductions, argmax and softmax over random (and invalid) axes', () => property('reduce', reduceCase, 60, 20, 803));
  it('matmul with random dims, transposes and batches', () => property('matmul', matmulCase, 36, 15, 804));
  it('reshape, permute, slice, concat, pad, gather, broadcastTo', () => property('layout', layoutCase, 60, 20, 805));
  it('conv2d with random valid and invalid geometry', () => property('conv2d', convCase, 32, 15, 806));
  it('max and average pooling with random valid and invalid windows', () => property('pool', poolCase, 36, 15, 807));
  it('crossEntropy with random batches, classes, labels and options', () => property('crossEntropy', ceCase, 30, 15, 808));
});
