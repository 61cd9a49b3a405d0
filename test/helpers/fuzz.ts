// Property-based op fuzzing: arbitraries for shapes and values, and a batched runner that checks each
// case on the GPU against the float64 CPU oracle (or checks that both raise the same clear error).
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  cpu, getBackend, tensor, tidy, setNumericsCheck,
  RobustlensError, ShapeError, ValueError, DTypeError, LimitError, type Tensor, type Backend,
} from '../../src/node.js';
import { engine } from '../../src/engine.js';

// ---------- values ----------

const F32_MAX = 3.4028234663852886e38;
/** Smallest normal f32: below it a value is subnormal. */
export const F32_MIN_NORMAL = 1.1754943508222875e-38;

/** NaN, both infinities and zeros, huge and subnormal numbers. */
export const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 3e38, -3e38, 1e-40, -1e-40];

/**
 * Value pools. 'full' has every special; 'noHuge' drops ±3e38, whose sums overflow f32 in an
 * order-dependent way (the f64 oracle would not); 'noBig' also drops ±1e30, for formulas that square
 * a rounding error (variance: a 1e30 mean off by one f32 ulp leaves 1e23², past f32); 'finite' only
 * moderate values and ±0.
 */
export type Pool = 'full' | 'noHuge' | 'noBig' | 'finite';
const POOLS: Record<Pool, number[]> = {
  full: SPECIALS,
  noHuge: SPECIALS.filter((v) => Math.abs(v) !== 3e38),
  noBig: SPECIALS.filter((v) => !(Math.abs(v) >= 1e30 && Number.isFinite(v))),
  finite: [0, -0],
};

/** A small seeded PRNG (mulberry32): values derive from a fast-check integer, so cases stay short. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n f32-representable values: a share `rate` of specials from the pool, the rest moderate (with ties). */
export function values(n: number, seed: number, pool: Pool = 'full', rate = 0.2, scale = 4): Float64Array {
  const r = prng(seed);
  const sp = POOLS[pool];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (u < rate) out[i] = sp[Math.floor(r() * sp.length)]!;
    else if (u < rate + 0.1) out[i] = Math.floor(r() * 5) - 2; // small integers: ties and exact zeros
    else out[i] = Math.fround((r() * 2 - 1) * scale);
  }
  return out;
}

/** Seed and special-value rate of one case (rate 0: moderate values only). */
export const valueSeed = fc.record({ seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }), rate: fc.constantFrom(0, 0.15, 0.4) });

// ---------- shapes ----------

/** Dims of fuzzed shapes: 1 (broadcasts), small primes, a power of two. */
export const dimArb = fc.constantFrom(1, 1, 2, 3, 4, 5, 7);
export const shapeArb = (minRank = 0, maxRank = 4): fc.Arbitrary<number[]> => fc.array(dimArb, { minLength: minRank, maxLength: maxRank });
export const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Two shapes for a broadcasting op: a result shape, then each operand drops some leading axes and
 * sets some axes to 1. With `clash`, one shared axis gets two different sizes > 1 (must fail).
 */
export const broadcastPairArb = fc
  .record({
    out: shapeArb(0, 4),
    dropA: fc.nat(4), dropB: fc.nat(4),
    onesA: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    onesB: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    clash: fc.boolean(),
    clashDims: fc.constantFrom([2, 3], [5, 7], [3, 4]),
  })
  .map(({ out, dropA, dropB, onesA, onesB, clash, clashDims }) => {
    const a = out.slice(Math.min(dropA, out.length)).map((d, i) => (onesA[i] ? 1 : d));
    const b = out.slice(Math.min(dropB, out.length)).map((d, i) => (onesB[i] ? 1 : d));
    const shared = Math.min(a.length, b.length);
    let clashes = false;
    if (clash && shared > 0) {
      a[a.length - 1] = clashDims[0]!;
      b[b.length - 1] = clashDims[1]!;
      clashes = true;
    }
    return { a, b, clashes };
  });

// ---------- checking ----------

export interface Tol {
  rtol?: number;
  atol?: number;
}

export interface Input {
  shape: number[];
  values: ArrayLike<number>;
  dtype?: 'float32' | 'int32';
}

export interface OpCase {
  /** The op name an error message must contain. */
  op: string;
  inputs: Input[];
  fn: (...xs: Tensor[]) => Tensor;
  tol?: Tol;
  /**
   * For sums of products (sum, mean, matmul, conv, avgPool): the error of an f32 sum scales with
   * Σ|terms|, so the tolerance adds rtol·fn(|x|) with non-finite inputs zeroed; where that bound
   * overflows f32, the f32 result may differ from the f64 one by an intermediate overflow, and only
   * "NaN stays NaN" is checked.
   */
  linear?: boolean;
  /** The bound's function where it is not fn itself (affine: |alpha|·|x| + |beta|). */
  boundFn?: (...xs: Tensor[]) => Tensor;
  /** Parameters shown in failure messages. */
  note?: string;
  /** Errors that may be raised (default: Shape, Value, DType, Limit). */
  errors?: (typeof RobustlensError)[];
}

const CLEAR_ERRORS = [ShapeError, ValueError, DTypeError, LimitError];

/** What a case ended in: an error class, or values to compare. */
type Outcome = { error: RobustlensError } | { out: Tensor };

function run(c: OpCase, be: Backend<any>): { outcome: Outcome; xs: Tensor[] } {
  const xs: Tensor[] = [];
  try {
    for (const inp of c.inputs) xs.push(tensor(Float64Array.from(inp.values, (v) => (inp.dtype === 'int32' ? v : Math.fround(v))), inp.shape, { backend: be, dtype: inp.dtype ?? 'float32' }));
    return { outcome: { out: tidy(() => c.fn(...xs)) }, xs };
  } catch (e) {
    if (!(e instanceof RobustlensError)) throw new Error(`${c.op}: raised ${(e as Error)?.name}: ${(e as Error)?.message} (not a RobustlensError)`, { cause: e });
    return { outcome: { error: e }, xs };
  }
}

function checkError(c: OpCase, e: RobustlensError, where: string): void {
  const allowed = c.errors ?? CLEAR_ERRORS;
  expect(allowed.some((k) => e instanceof k), `${c.op} (${where}): ${e.name}: ${e.message}`).toBe(true);
  expect(e.message, `${c.op} (${where}): the message must name the op`).toContain(c.op);
}

/** One element: NaN matches NaN, an infinity the same infinity, finite values within tolerance. */
export function matches(got: number, want64: number, tol: Required<Tol>, bound = 0): boolean {
  const want = Math.fround(want64); // the oracle rounded to what an exact f32 result would be
  if (bound > F32_MAX) return Number.isNaN(want) ? Number.isNaN(got) : true;
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  if (!Number.isFinite(got)) return false;
  // Vulkan lets a driver flush subnormals to zero (lavapipe keeps them, SwiftShader may not), so a
  // subnormal result (|x| < 1.2e-38) and zero count as equal.
  if (Math.abs(want) < F32_MIN_NORMAL && Math.abs(got) < F32_MIN_NORMAL) return true;
  return Math.abs(got - want) <= tol.atol + tol.rtol * (Math.abs(want) + bound);
}

/** Absolute values with non-finite entries zeroed: the input of the error bound of a linear op. */
const absFinite = (v: ArrayLike<number>): number[] => Array.from(v, (x) => (Number.isFinite(x) ? Math.abs(x) : 0));

const show = (v: number): string | number => (Object.is(v, -0) ? '-0' : Number.isFinite(v) ? v : String(v));

/** The inputs' values at an output's flat index, where the shapes agree (elementwise ops). */
function at(c: OpCase, i: number, n: number): string {
  const vs = c.inputs.map((inp) => (inp.values.length === n ? show(inp.values[i]!) : inp.values.length === 1 ? show(inp.values[0]!) : '…'));
  return ` (inputs there: ${JSON.stringify(vs)})`;
}

function fmt(c: OpCase): string {
  return (c.note ? `${c.note}; ` : '') + c.inputs.map((i) => `[${i.shape.join(',')}]${i.dtype === 'int32' ? 'i32' : ''} ${JSON.stringify(Array.from(i.values).slice(0, 24).map(show))}`).join(' ; ');
}

/**
 * Run a batch of cases on the GPU and on the CPU oracle; read all GPU results at once (one wait for
 * the device instead of one per case). Every case must match the oracle or, on both backends, raise
 * a clear error naming the op. Returns the number of cases that raised.
 */
export async function runCases(cases: OpCase[], opts: { numerics?: boolean } = {}): Promise<{ errors: number }> {
  const gpu = getBackend();
  const prev = engine.checkNumerics;
  // NaN/Inf inputs make NaN/Inf outputs on purpose: the numerics check is off while these are read.
  setNumericsCheck(opts.numerics ?? false);
  const live: Tensor[] = [];
  const pending: { c: OpCase; g: Tensor; o: Tensor; b: Tensor | null }[] = [];
  let errors = 0;
  try {
    for (const c of cases) {
      const g = run(c, gpu);
      live.push(...g.xs);
      if ('error' in g.outcome && g.outcome.error instanceof LimitError) {
        checkError(c, g.outcome.error, 'webgpu');
        errors++;
        continue; // the CPU has no device limit; do not allocate the huge oracle
      }
      const o = run(c, cpu);
      live.push(...o.xs);
      if ('error' in g.outcome || 'error' in o.outcome) {
        const ge = 'error' in g.outcome ? g.outcome.error : null;
        const oe = 'error' in o.outcome ? o.outcome.error : null;
        if ('out' in g.outcome) live.push(g.outcome.out);
        if ('out' in o.outcome) live.push(o.outcome.out);
        expect(ge?.name, `${c.op}: GPU and oracle disagree on raising for ${fmt(c)}: ${ge?.message ?? oe?.message}`).toBe(oe?.name);
        checkError(c, ge!, 'webgpu');
        if (process.env.FUZZ_DEBUG) console.log( // FUZZ_DEBUG=1: list the errors raised, to tune the arbitraries
          `raised: ${ge!.message.slice(0, 160)}`);
        errors++;
        continue;
      }
      let b: Tensor | null = null;
      if (c.linear) {
        const ax = c.inputs.map((i) => tensor(i.dtype === 'int32' ? Array.from(i.values) : absFinite(i.values), i.shape, { backend: cpu, dtype: i.dtype ?? 'float32' }));
        b = tidy(() => (c.boundFn ?? c.fn)(...ax));
        ax.forEach((t) => t.dispose());
      }
      live.push(g.outcome.out, o.outcome.out);
      if (b) live.push(b);
      pending.push({ c, g: g.outcome.out, o: o.outcome.out, b });
    }
    const read = await Promise.all(pending.map(async (p) => [await p.g.data(), await p.o.data(), p.b ? await p.b.data() : null] as const));
    read.forEach(([gv, ov, bv], k) => {
      const { c, g, o } = pending[k]!;
      expect(g.shape, `${c.op}: output shape for ${fmt(c)}`).toEqual(o.shape);
      expect(g.dtype).toBe(o.dtype);
      const tol = { rtol: c.tol?.rtol ?? 1e-5, atol: c.tol?.atol ?? 1e-6 };
      for (let i = 0; i < gv.length; i++) {
        if (!matches(gv[i]!, ov[i]!, tol, bv ? Math.abs(bv[i]!) : 0)) {
          expect.fail(`${c.op}: element ${i} of [${g.shape.join(',')}] is ${gv[i]} on the GPU, oracle ${ov[i]} (f32 ${Math.fround(ov[i]!)})${at(c, i, gv.length)}, for inputs ${fmt(c)}`);
        }
      }
    });
  } finally {
    for (const t of live) t.dispose();
    setNumericsCheck(prev);
  }
  return { errors };
}

/** Short counterexamples: fast-check prints a case as its op and inputs, not its closure source. */
export function described(c: OpCase): OpCase {
  return Object.assign(c, { [fc.toStringMethod]: () => `${c.op}(${fmt(c)})` });
}

/** Counts per property, printed as one line at the end of a file. */
export class CaseCounter {
  readonly counts = new Map<string, number>();
  readonly raisedBy = new Map<string, number>();
  raised = 0;
  add(name: string, n: number, raised = 0): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
    this.raisedBy.set(name, (this.raisedBy.get(name) ?? 0) + raised);
    this.raised += raised;
  }
  line(title: string): string {
    const n = (v: number): string => v.toLocaleString('en-US');
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    const parts = [...this.counts].map(([k, v]) => `${k} ${n(v)}/${n(this.raisedBy.get(k) ?? 0)}`).join(', ');
    return `${title}: ${n(total)} cases, ${n(total - this.raised)} matched the oracle, ${n(this.raised)} raised a clear error (per property: cases/raised: ${parts})`;
  }
}

/** numRuns batches of `batch` cases each, every batch read back together and counted in `counter`. */
export async function fuzzProperty(counter: CaseCounter, name: string, arb: fc.Arbitrary<OpCase>, numRuns: number, batch: number, seed: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(arb.map(described), { minLength: batch, maxLength: batch }), async (cases) => {
      const { errors } = await runCases(cases);
      counter.add(name, cases.length, errors);
    }),
    { numRuns, seed },
  );
}
