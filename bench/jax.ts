/**
 * robustlens against jax-js (bench/peers/jax.ts) on WebGPU, in this process, on the same adapter
 * (jax-js on its own device): square matmul (256, 512, 1024), the elementwise chain of
 * bench/elementwise.ts (jax-js eager and jit-fused), two reductions, and training steps of an MLP
 * and of cnn-small (bench/jax-train-step.ts).
 *
 * Both engines get the same input numbers. Before anything is timed each case checks that the two
 * outputs agree with each other and, at sampled entries, with a float64 computation on the host
 * (the training steps: the losses of two steps). Each engine waits with its own blocking call (ours:
 * the queue drains; jax-js: `blockUntilReady`, a zero-byte readback), short cases repeat several
 * calls per wait, and the timed runs of the two are interleaved round-robin with the ceiling probe
 * before each (harness.timeInterleaved), so a change of machine load hits both alike. Rows give
 * medians and, in the note, the spread (min-max) of each engine's runs.
 */
import * as rl from '../src/node.js';
import { jaxTrainSteps } from './jax-train-step.js';
import { jaxWebGpu, type JaxPeer } from './peers/jax.js';
import { pairedRatio, timeInterleaved, type BenchContext, type Row } from './harness.js';

type JArray = import('@jax-js/jax').Array;

interface Case {
  op: string;
  shape: string;
  unit: 'GFLOP/s' | 'GB/s';
  /** FLOPs or bytes per call. */
  work: number;
  /** Calls per timed run (one wait at the end). */
  calls: number;
  ours: () => rl.Tensor;
  /** `work`: per call, when the variant moves less than ours (a fused kernel). */
  jax: { label: string; run: () => JArray; work?: number }[];
  /** float64 value of output element i, for the sampled check. */
  ref: (i: number) => number;
  /** Allowed |difference| at element i (from the size of the terms summed there). */
  tol: (i: number) => number;
}

const spread = (xs: readonly number[], per: number): string => `${(Math.min(...xs) / per).toPrecision(3)}-${(Math.max(...xs) / per).toPrecision(3)}`;

export async function benchJax(ctx: BenchContext): Promise<Row[]> {
  const { rt } = ctx;
  const loaded = await jaxWebGpu(rt);
  if ('skipped' in loaded) {
    console.log(`jax: skipped: ${loaded.skipped}`);
    return [{ adapter: ctx.adapter, op: 'jax-js WebGPU: skipped', shape: '-', ms: NaN, rate: NaN, unit: 'GFLOP/s', note: `skipped: ${loaded.skipped}` }];
  }
  const peer = loaded.peer;
  console.log(`jax: jax-js WebGPU on ${peer.adapter} (its own device on our adapter)`);
  const rows: Row[] = [];
  for (const n of [256, 512, 1024]) rows.push(...(await runCase(ctx, peer, matmulCase(peer, n))));
  rows.push(...(await runCase(ctx, peer, chainCase(peer))));
  rows.push(...(await runCase(ctx, peer, rowSumCase(peer, 4096, 1024))));
  rows.push(...(await runCase(ctx, peer, totalSumCase(peer, 1 << 22))));
  rows.push(...(await jaxTrainSteps(ctx, peer)));
  return rows;
}

/** Host data shared by both engines: Float32 values of a seeded normal draw. */
const normals = (n: number, seed: number): Float32Array => Float32Array.from(new rl.Rng(seed).fillNormal(n));

function matmulCase(peer: JaxPeer, n: number): Case & { inputs: () => void } {
  const np = peer.jax.numpy;
  const ha = normals(n * n, 11);
  const hb = normals(n * n, 12);
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

function chainCase(peer: JaxPeer): Case & { inputs: () => void } {
  const { jax } = peer;
  const np = jax.numpy;
  const N = 1 << 22;
  const hx = normals(N, 13);
  const hz = normals(N, 14);
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

function rowSumCase(peer: JaxPeer, rows: number, cols: number): Case & { inputs: () => void } {
  const np = peer.jax.numpy;
  const h = normals(rows * cols, 15);
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

function totalSumCase(peer: JaxPeer, n: number): Case & { inputs: () => void } {
  const np = peer.jax.numpy;
  const h = normals(n, 16);
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

/** Check agreement, then time ours and each jax-js variant interleaved; one row per engine/variant. */
async function runCase(ctx: BenchContext, peer: JaxPeer, c: Case & { inputs: () => void }): Promise<Row[]> {
  const { rt } = ctx;
  const { jax } = peer;
  try {
    // Agreement: all outputs against each other everywhere, and against float64 at sampled entries.
    // The first call of each engine compiles its kernels: timed (with its readback) as "compile ms".
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
        // Between the two engines: twice the allowance against float64 (both may be off by it); sampled tolerance is per entry.
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
    const agreement = `agree (max |diff| ${worst.toExponential(1)}; both within float64 tolerance at ${samples.length} samples)`;

    const probeFn = c.unit === 'GFLOP/s' ? ctx.probes?.gflops : ctx.probes?.gbps;
    const probe = probeFn ? { rate: probeFn, work: c.work * c.calls } : undefined;
    const oursRun = async (): Promise<void> => {
      const out: rl.Tensor[] = [];
      for (let k = 0; k < c.calls; k++) out.push(c.ours());
      await rt.sync();
      out.forEach((t) => t.dispose());
    };
    const jaxRuns = c.jax.map((v) => async (): Promise<void> => {
      const out: JArray[] = [];
      for (let k = 0; k < c.calls; k++) out.push(v.run());
      await jax.blockUntilReady(out);
      out.forEach((t) => t.dispose());
    });
    const [o, ...js] = await timeInterleaved(rt, [
      { run: oursRun, reps: ctx.reps, probe },
      ...jaxRuns.map((run, k) => ({ run, reps: ctx.reps, probe: probe && { ...probe, work: (c.jax[k]!.work ?? c.work) * c.calls } })),
    ]);
    const per = c.calls;
    const ms = o!.ms / per;
    const best = Math.min(...js.map((j) => j.ms)) / per;
    const rate = (t: number, work = c.work): number => work / t / 1e6;
    const callsNote = per > 1 ? `${per} calls per wait; ` : '';
    const rows: Row[] = [{
      adapter: ctx.adapter, op: c.op, shape: c.shape, ms, compileMs: oursFirstMs, rate: rate(ms), unit: c.unit, ofCeiling: o!.ofProbe,
      vsJax: best / ms, jaxMs: best,
      note: `${callsNote}${agreement}; vs jax-js: ${c.jax.length > 1 ? 'its fastest variant' : c.jax[0]!.label}; ours ${spread(o!.all, per)} ms over ${o!.all.length} runs`,
    }];
    js.forEach((j, k) => {
      const jm = j.ms / per;
      const pr = pairedRatio(o!.all, j.all);
      rows.push({
        adapter: ctx.adapter, op: `${c.op}, jax-js ${c.jax[k]!.label}`, shape: c.shape, ms: jm, compileMs: jaxFirstMs[k], rate: rate(jm, c.jax[k]!.work), unit: c.unit, ofCeiling: j.ofProbe,
        note: `the peer, its own device on our adapter; robustlens/jax-js time ${(ms / jm).toFixed(2)} (per round: median ${pr.median.toFixed(2)}, ${pr.min.toFixed(2)}-${pr.max.toFixed(2)}); ${spread(j.all, per)} ms over ${j.all.length} runs${c.jax[k]!.work ? '; rate counts the fused traffic' : ''}`,
      });
    });
    return rows;
  } finally {
    c.inputs();
  }
}
