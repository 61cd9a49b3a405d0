/**
 * The kernel-level cases of the jax-js comparison, shared by the Node runner (bench/jax.ts, inside
 * the bench harness) and the Deno runner (bench/deno/jax.ts): square matmul, the elementwise chain of
 * bench/elementwise.ts (jax-js eager and jit-fused), a row sum and a full sum. Each case holds the
 * same input numbers in both engines, and `checkAgreement` compares the two outputs everywhere and
 * both with a float64 host computation at sampled entries before anything is timed. Runtime-neutral:
 * the engines come in as arguments (`robustlens` from src/ or dist/, and jax-js).
 */
import type * as RL from '../src/index.js';

type Rl = typeof RL;
type Tensor = RL.Tensor;
type Jax = typeof import('@jax-js/jax');
type JArray = import('@jax-js/jax').Array;

export interface Case {
  op: string;
  shape: string;
  unit: 'GFLOP/s' | 'GB/s';
  /** FLOPs or bytes per call. */
  work: number;
  /** Calls per timed run (one wait at the end). */
  calls: number;
  ours: () => Tensor;
  /** `work`: per call, when the variant moves less than ours (a fused kernel). */
  jax: { label: string; run: () => JArray; work?: number }[];
  /** float64 value of output element i, for the sampled check. */
  ref: (i: number) => number;
  /** Allowed |difference| at element i (from the size of the terms summed there). */
  tol: (i: number) => number;
  /** Release the inputs of both engines. */
  inputs(): void;
}

/** The cases, built one at a time (each holds its inputs until `inputs()` releases them). */
export function jaxCases(rl: Rl, jax: Jax): (() => Case)[] {
  return [
    ...[256, 512, 1024].map((n) => () => matmulCase(rl, jax, n)),
    () => chainCase(rl, jax),
    () => rowSumCase(rl, jax, 4096, 1024),
    () => totalSumCase(rl, jax, 1 << 22),
  ];
}

/** Host data shared by both engines: Float32 values of a seeded normal draw. */
const normals = (rl: Rl, n: number, seed: number): Float32Array => Float32Array.from(new rl.Rng(seed).fillNormal(n));

function matmulCase(rl: Rl, jax: Jax, n: number): Case {
  const np = jax.numpy;
  const ha = normals(rl, n * n, 11);
  const hb = normals(rl, n * n, 12);
  const a = rl.tensor(ha, [n, n]);
  const b = rl.tensor(hb, [n, n]);
  const ja = np.array(ha).reshape([n, n]);
  const jb = np.array(hb).reshape([n, n]);
  const rowNorm = Float64Array.from({ length: n }, (_, r) => Math.hypot(...ha.subarray(r * n, (r + 1) * n)));
  const colNorm = Float64Array.from({ length: n }, (_, c) => Math.hypot(...Array.from({ length: n }, (_, k) => hb[k * n + c]!)));
  return {
    op: 'matmul', shape: `${n}x${n}·${n}x${n}`, unit: 'GFLOP/s', work: 2 * n ** 3, calls: n <= 256 ? 4 : 1,
    ours: () => rl.matmul(a, b),
    jax: [{ label: 'np.matmul', run: () => np.matmul(ja.ref, jb.ref) }],
    ref: (i) => {
      const r = Math.floor(i / n);
      const c = i % n;
      let s = 0;
      for (let k = 0; k < n; k++) s += ha[r * n + k]! * hb[k * n + c]!;
      return s;
    },
    // f32 accumulation over n terms: a few ulps of the sum of |terms| (at most |row|·|column|, Cauchy-Schwarz) times sqrt(n).
    tol: (i) => 1e-6 * Math.sqrt(n) * rowNorm[Math.floor(i / n)]! * colNorm[i % n]! + 1e-6,
    inputs: () => {
      a.dispose();
      b.dispose();
      ja.dispose();
      jb.dispose();
    },
  };
}

function chainCase(rl: Rl, jax: Jax): Case {
  const np = jax.numpy;
  const N = 1 << 22;
  const hx = normals(rl, N, 13);
  const hz = normals(rl, N, 14);
  const x = rl.tensor(hx, [N]);
  const z = rl.tensor(hz, [N]);
  const jx = np.array(hx);
  const jz = np.array(hz);
  const chain = (u: JArray, v: JArray): JArray => jax.nn.relu(u.mul(1.5).sub(0.25)).mul(v);
  const fused = jax.jit(chain);
  return {
    op: 'chain relu(1.5x - 0.25)·z', shape: `[${N}]`, unit: 'GB/s', work: 7 * 4 * N, calls: 1,
    ours: () => rl.tidy(() => rl.mul(rl.relu(rl.affine(x, 1.5, -0.25)), z)),
    jax: [
      { label: 'eager', run: () => chain(jx.ref, jz.ref) },
      // One fused kernel: reads x and z, writes the result (3 floats per element, not 7).
      { label: 'jit (one fused kernel)', run: () => fused(jx.ref, jz.ref), work: 3 * 4 * N },
    ],
    ref: (i) => Math.max(0, 1.5 * hx[i]! - 0.25) * hz[i]!,
    tol: (i) => 1e-6 * (Math.abs(1.5 * hx[i]!) + 0.25) * Math.abs(hz[i]!) + 1e-7,
    inputs: () => {
      x.dispose();
      z.dispose();
      jx.dispose();
      jz.dispose();
      fused.dispose();
    },
  };
}

function rowSumCase(rl: Rl, jax: Jax, rows: number, cols: number): Case {
  const np = jax.numpy;
  const h = normals(rl, rows * cols, 15);
  const x = rl.tensor(h, [rows, cols]);
  const jx = np.array(h).reshape([rows, cols]);
  const rowAbs = (i: number): number => h.subarray(i * cols, (i + 1) * cols).reduce((s, v) => s + Math.abs(v), 0);
  return {
    op: 'sum over rows', shape: `[${rows}, ${cols}]`, unit: 'GB/s', work: 4 * rows * cols, calls: 2,
    ours: () => rl.sum(x, -1),
    jax: [{ label: 'np.sum(axis -1)', run: () => np.sum(jx.ref, -1) }],
    ref: (i) => h.subarray(i * cols, (i + 1) * cols).reduce((s, v) => s + v, 0),
    tol: (i) => 1e-6 * rowAbs(i) * Math.log2(cols) + 1e-6,
    inputs: () => {
      x.dispose();
      jx.dispose();
    },
  };
}

function totalSumCase(rl: Rl, jax: Jax, n: number): Case {
  const np = jax.numpy;
  const h = normals(rl, n, 16);
  const x = rl.tensor(h, [n]);
  const jx = np.array(h);
  const abs = h.reduce((s, v) => s + Math.abs(v), 0);
  return {
    op: 'sum of everything', shape: `[${n}]`, unit: 'GB/s', work: 4 * n, calls: 2,
    ours: () => rl.sum(x),
    jax: [{ label: 'np.sum', run: () => np.sum(jx.ref) }],
    ref: () => h.reduce((s, v) => s + v, 0),
    tol: () => 1e-7 * abs * Math.log2(n),
    inputs: () => {
      x.dispose();
      jx.dispose();
    },
  };
}

/**
 * Both engines' outputs against each other everywhere (within twice the float64 allowance, since
 * both may be off by it) and against float64 at sampled entries; throws on a disagreement. The first
 * call of each engine compiles its kernels, so it is timed (with its readback) as "compile ms".
 */
export async function checkAgreement(c: Case): Promise<{ note: string; oursFirstMs: number; jaxFirstMs: number[] }> {
  let t0 = performance.now();
  const y = c.ours();
  const ours = Float32Array.from(await y.data());
  const oursFirstMs = performance.now() - t0;
  y.dispose();
  const jaxFirstMs: number[] = [];
  const samples = Array.from({ length: Math.min(ours.length, 64) }, (_, k) => Math.floor((k * ours.length) / Math.min(ours.length, 64)));
  let worst = 0;
  for (const v of c.jax) {
    t0 = performance.now();
    const j = v.run();
    const theirs = (await j.data()) as Float32Array;
    jaxFirstMs.push(performance.now() - t0);
    if (theirs.length !== ours.length) throw new Error(`jax ${c.op}: jax-js (${v.label}) gave ${theirs.length} values, ours ${ours.length}`);
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i]! - theirs[i]!);
      if (!(d <= 2 * c.tol(i))) throw new Error(`jax ${c.op} ${c.shape}: robustlens and jax-js (${v.label}) disagree at ${i}: ${ours[i]} vs ${theirs[i]}`);
      worst = Math.max(worst, d);
    }
    for (const i of samples) {
      const r = c.ref(i);
      for (const [who, val] of [['robustlens', ours[i]!], [`jax-js (${v.label})`, theirs[i]!]] as const) {
        if (!(Math.abs(val - r) <= c.tol(i))) throw new Error(`jax ${c.op} ${c.shape}: ${who} is ${val} at ${i}, float64 says ${r} (allowed ${c.tol(i).toExponential(2)})`);
      }
    }
  }
  const note = `agree (max |diff| ${worst.toExponential(1)}; both within float64 tolerance at ${samples.length} samples)`;
  return { note, oursFirstMs, jaxFirstMs };
}
