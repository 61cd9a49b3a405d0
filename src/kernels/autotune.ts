import { ValueError } from '../errors.js';
import type { GpuRuntime } from '../gpu/runtime.js';
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
    const ms: Record<string, number> = {};
    let reference: Float32Array | null = null;
    try {
      for (const name of names) {
        matmulOverride.variant = matmulVariantNamed(name, aligned);
        const c = matmul(rt, a, av, b, bv, 1, m, k, n);
        const got = new Float32Array(await rt.read(c, m * n * 4, 'autotuneMatmul'));
        rt.releaseStorage(c);
        if (reference === null) reference = got;
        else agree(reference, got, k, `${name} on [${m}, ${k}] x [${k}, ${n}]`);
        const times: number[] = [];
        for (let r = 0; r < reps; r++) {
          const t0 = performance.now();
          const cr = matmul(rt, a, av, b, bv, 1, m, k, n);
          await rt.sync();
          times.push(performance.now() - t0);
          rt.releaseStorage(cr);
        }
        ms[name] = times.sort((x, y) => x - y)[Math.floor(reps / 2)]!;
      }
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
      throw new Error(`autotuneMatmul: ${what} gives ${got[i]} at element ${i}, the first variant ${ref[i]}: a kernel bug, not a tuning choice`);
    }
  }
}
