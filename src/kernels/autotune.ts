import { ValueError } from '../errors.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import type { ConvGeom } from '../types.js';
import { conv2d, conv2dBackwardInput, convOverride, convVariantRuns } from './conv.js';
import { canUseSubgroupMatmul, matmul, matmulOverride, matmulVariantNamed } from './matmul.js';
import { recordTuning, shapeBucket, TUNABLE, type TuningRecord } from './tuning.js';

export interface AutotuneOptions {
  /** Timed calls per variant after one warm-up call (default 5; the median counts). */
  reps?: number;
}

/**
 * Time every matmul tile this device can run on row-major m×k · k×n products and record the fastest
 * per shape bucket in the tuning table (tuning.ts). Before timing, each variant's product is read
 * back and compared with the first one's: a variant that disagrees is a kernel bug, raised, never
 * chosen. The inputs are seeded uniform values in [-1, 1).
 */
export async function autotuneMatmul(rt: GpuRuntime, shapes: readonly (readonly [number, number, number])[], opts: AutotuneOptions = {}): Promise<TuningRecord[]> {
  const reps = opts.reps ?? 5;
  if (!Number.isInteger(reps) || reps < 1) throw new ValueError(`autotuneMatmul: reps must be an integer >= 1, got ${reps}`);
  const names = TUNABLE.matmul.filter((v) => v === 'tile4' || canUseSubgroupMatmul(rt));
  const out: TuningRecord[] = [];
  for (const [m, k, n] of shapes) {
    if (![m, k, n].every((d) => Number.isInteger(d) && d >= 1)) throw new ValueError(`autotuneMatmul: shape [${m}, ${k}, ${n}] must be positive integers`);
    const a = upload(rt, m * k, 1);
    const b = upload(rt, k * n, 2);
    const av = { offset: 0, sb: m * k, si: k, sj: 1 };
    const bv = { offset: 0, sb: k * n, si: n, sj: 1 };
    const aligned = k % 4 === 0 && n % 4 === 0;
    let ms: Record<string, number>;
    try {
      ms = await timeVariants(rt, names, (name) => {
        matmulOverride.variant = matmulVariantNamed(name, aligned);
        return matmul(rt, a, av, b, bv, 1, m, k, n);
      }, m * n, k, `[${m}, ${k}] x [${k}, ${n}]`, reps);
    } finally {
      matmulOverride.variant = null;
      rt.releaseStorage(a);
      rt.releaseStorage(b);
    }
    const variant = Object.entries(ms).sort((x, y) => x[1] - y[1])[0]![0];
    const rec: TuningRecord = { op: 'matmul', bucket: shapeBucket([m, k, n]), variant, ms };
    recordTuning(rt.adapter, rec);
    out.push(rec);
  }
  return out;
}

/**
 * Time every kernel this device can run for 3x3, stride-1, padding-1 convolutions of x [N, C, H, W]
 * into O channels, forward and input gradient, and record the fastest of each per shape bucket.
 * As for matmul, each variant's output is first compared with the first one's.
 */
export async function autotuneConv(rt: GpuRuntime, shapes: readonly (readonly [number, number, number, number, number])[], opts: AutotuneOptions = {}): Promise<TuningRecord[]> {
  const reps = opts.reps ?? 5;
  if (!Number.isInteger(reps) || reps < 1) throw new ValueError(`autotuneConv: reps must be an integer >= 1, got ${reps}`);
  for (const s of shapes) {
    if (s.length !== 5 || !s.every((d) => Number.isInteger(d) && d >= 1)) throw new ValueError(`autotuneConv: shape [${s.join(', ')}] must be 5 positive integers [N, C, H, W, O]`);
  }
  const out: TuningRecord[] = [];
  for (const [N, C, H, W, O] of shapes) {
    const g: ConvGeom = { N, C, H, W, O, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, OH: H, OW: W };
    const x = upload(rt, N * C * H * W, 1);
    const w = upload(rt, O * C * 9, 2);
    const gy = upload(rt, N * O * H * W, 3);
    try {
      const cases = [
        { op: 'conv2d' as const, dims: [N, C, H, W, O], cout: O, k: C * 9, n: N * O * H * W, run: () => conv2d(rt, x, w, null, g) },
        { op: 'conv2dInput' as const, dims: [N, O, H, W, C], cout: C, k: O * 9, n: N * C * H * W, run: () => conv2dBackwardInput(rt, gy, w, g) },
      ];
      for (const c of cases) {
        const ms = await timeVariants(rt, TUNABLE[c.op].filter((v) => convVariantRuns(rt, v, c.cout)), (v) => {
          convOverride.variant = v;
          return c.run();
        }, c.n, c.k, `${c.op} [${N}, ${C}, ${H}, ${W}] -> ${O}`, reps);
        const variant = Object.entries(ms).sort((p, q) => p[1] - q[1])[0]![0];
        const rec: TuningRecord = { op: c.op, bucket: shapeBucket(c.dims), variant, ms };
        recordTuning(rt.adapter, rec);
        out.push(rec);
      }
    } finally {
      convOverride.variant = null;
      for (const b of [x, w, gy]) rt.releaseStorage(b);
    }
  }
  return out;
}

/**
 * Median ms of each variant's `run` (n floats out, sums of k products) over `reps` timed calls,
 * after checking that its output agrees with the first variant's.
 */
async function timeVariants<V extends string>(rt: GpuRuntime, names: readonly V[], run: (v: V) => GPUBuffer, n: number, k: number, what: string, reps: number): Promise<Record<string, number>> {
  const ms: Record<string, number> = {};
  let reference: Float32Array | null = null;
  for (const name of names) {
    const y = run(name);
    const got = new Float32Array(await rt.read(y, n * 4, 'autotune'));
    rt.releaseStorage(y);
    if (reference === null) reference = got;
    else agree(reference, got, k, `${name} on ${what}`);
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const yr = run(name);
      await rt.sync();
      times.push(performance.now() - t0);
      rt.releaseStorage(yr);
    }
    ms[name] = times.sort((p, q) => p - q)[Math.floor(reps / 2)]!;
  }
  return ms;
}

function upload(rt: GpuRuntime, n: number, seed: number): GPUBuffer {
  let s = seed * 2654435761;
  const v = Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
  return rt.createFilled(v, 'autotune');
}

/** Sums of k products of values in [-1, 1): f32 orders of summation differ by about k·2⁻²⁴ each. */
function agree(ref: Float32Array, got: Float32Array, k: number, what: string): void {
  const tol = 1e-5 * k;
  for (let i = 0; i < ref.length; i++) {
    if (!(Math.abs(ref[i]! - got[i]!) <= tol)) {
      throw new Error(`autotune: ${what} gives ${got[i]} at element ${i}, the first variant ${ref[i]}: a kernel bug, not a tuning choice`);
    }
  }
}
