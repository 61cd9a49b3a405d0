/**
 * Convolution benchmark: forward, input gradient and weight gradient for the two conv layers of the
 * small CNN (issue 3), timed on the default WebGPU adapter, with the float64 CPU reference timed on a
 * smaller batch and scaled. Prints one row per kernel and writes out/bench-conv.json.
 *
 *   source scripts/gpu-env.sh && node scripts/gen-shaders.mjs && npx vite-node bench/conv.ts
 *
 * The machines are shared and noisy: compare only numbers taken side by side in one run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { ConvGeom } from '../src/backend/conv.js';
import { engine } from '../src/engine.js';
import { cpu, getBackend, init, shutdown, type Backend } from '../src/node.js';
import { Rng } from '../src/random.js';

export interface BenchRow {
  adapter: string;
  kernel: 'forward' | 'backward-input' | 'backward-weight' | 'matmul (reference)';
  shape: string;
  /** Wall-clock milliseconds per call (median of runs, each ending with a queue sync). */
  ms: number;
  gflops: number;
  /**
   * Process CPU milliseconds per call (all threads, lavapipe's included; best of runs). On a
   * shared machine wall time depends on other processes; CPU time much less so.
   */
  cpuTimeMs: number;
  gflopsPerCpuSecond: number;
  /** Fraction of the adapter's measured FMA ceiling (perf-facts.md: 154 GFLOP/s on Dawn + lavapipe 25). */
  ofCeiling: number;
  cpuMs: number;
  cpuGflops: number;
  speedupVsCpu: number;
}

const LAVAPIPE_CEILING = 154;

const shapes: { name: string; g: ConvGeom }[] = [
  { name: '(64,1,28,28)->32 3x3 pad 1', g: geom(64, 1, 28, 28, 32) },
  { name: '(64,32,14,14)->64 3x3 pad 1', g: geom(64, 32, 14, 14, 64) },
];

function geom(N: number, C: number, H: number, W: number, O: number): ConvGeom {
  return { N, C, H, W, O, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, OH: H, OW: W };
}

const flops = (g: ConvGeom): number => 2 * g.N * g.O * g.OH * g.OW * g.C * g.KH * g.KW;

type ConvKernel = 'forward' | 'backward-input' | 'backward-weight';

function run(b: Backend<any>, kernel: ConvKernel, g: ConvGeom, x: unknown, w: unknown, bias: unknown, gy: unknown): unknown {
  if (kernel === 'forward') return b.conv2d(x, w, bias, g);
  if (kernel === 'backward-input') return b.conv2dBackwardInput(gy, w, g);
  return b.conv2dBackwardWeight(x, gy, g);
}

function inputs(b: Backend<any>, g: ConvGeom, rng: Rng) {
  return {
    x: b.fromData(rng.fillNormal(g.N * g.C * g.H * g.W), 'float32'),
    w: b.fromData(rng.fillNormal(g.O * g.C * g.KH * g.KW, 0, 0.1), 'float32'),
    bias: b.fromData(rng.fillNormal(g.O), 'float32'),
    gy: b.fromData(rng.fillNormal(g.N * g.O * g.OH * g.OW), 'float32'),
  };
}

/**
 * `runs` timings of `reps` back-to-back calls, each run ending with a queue sync: the median wall
 * time and the smallest process CPU time per call. The first call (pipeline compile) is not timed.
 */
async function timeGpu(f: () => unknown, reps: number, runs: number): Promise<{ ms: number; cpuMs: number }> {
  const rt = engine.runtime!;
  const b = getBackend();
  b.free(f());
  await rt.sync();
  const wall: number[] = [];
  const cpuT: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) b.free(f());
    await rt.sync();
    const c = process.cpuUsage(c0);
    wall.push((performance.now() - start) / reps);
    cpuT.push((c.user + c.system) / 1000 / reps);
  }
  return { ms: wall.sort((a, c) => a - c)[Math.floor(runs / 2)]!, cpuMs: Math.min(...cpuT) };
}

/** Matmul 512 (the engine's register-tiled kernel), for comparing conv with a known kernel in one process. */
async function matmulRow(b: Backend<any>, adapter: string): Promise<BenchRow> {
  const n = 512;
  const rng = new Rng(2);
  const a = b.fromData(rng.fillNormal(n * n), 'float32');
  const c = b.fromData(rng.fillNormal(n * n), 'float32');
  const v = { offset: 0, sb: 0, si: n, sj: 1 };
  const t = await timeGpu(() => b.matmul(a, v, c, v, 1, n, n, n), 5, 5);
  b.free(a);
  b.free(c);
  const f = 2 * n ** 3;
  return {
    adapter, kernel: 'matmul (reference)', shape: '512 x 512 x 512', ms: t.ms, gflops: f / t.ms / 1e6, cpuTimeMs: t.cpuMs,
    gflopsPerCpuSecond: f / t.cpuMs / 1e6, ofCeiling: f / t.ms / 1e6 / LAVAPIPE_CEILING, cpuMs: NaN, cpuGflops: NaN, speedupVsCpu: NaN,
  };
}

/** The float64 reference on a batch of 2, scaled to the full batch (its cost is linear in N). */
function timeCpu(kernel: ConvKernel, g: ConvGeom): number {
  const small = { ...g, N: 2 };
  const t = inputs(cpu, small, new Rng(1));
  const start = performance.now();
  run(cpu, kernel, small, t.x, t.w, t.bias, t.gy);
  return ((performance.now() - start) * g.N) / small.N;
}

export async function benchConv(): Promise<BenchRow[]> {
  await init();
  const b = getBackend();
  const adapter = b.describe();
  const rows: BenchRow[] = [await matmulRow(b, adapter)];
  for (const { name, g } of shapes) {
    const t = inputs(b, g, new Rng(1));
    for (const kernel of ['forward', 'backward-input', 'backward-weight'] as const) {
      const { ms, cpuMs: cpuTimeMs } = await timeGpu(() => run(b, kernel, g, t.x, t.w, t.bias, t.gy), 10, 5);
      const cpuMs = timeCpu(kernel, g);
      const gflops = flops(g) / ms / 1e6;
      rows.push({
        adapter, kernel, shape: name, ms, gflops, cpuTimeMs, gflopsPerCpuSecond: flops(g) / cpuTimeMs / 1e6,
        ofCeiling: gflops / LAVAPIPE_CEILING, cpuMs, cpuGflops: flops(g) / cpuMs / 1e6, speedupVsCpu: cpuMs / ms,
      });
    }
    for (const s of Object.values(t)) b.free(s);
  }
  return rows;
}

// Run as a script (vite-node removes the file from argv, so compare the module's own path).
if (import.meta.url.endsWith('/bench/conv.ts') && process.argv.some((a) => a.includes('vite-node'))) {
  const rows = await benchConv();
  console.log(`adapter: ${rows[0]?.adapter}  (ceiling used for the fraction: ${LAVAPIPE_CEILING} GFLOP/s, Dawn + lavapipe 25, perf-facts.md)`);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (the machine is shared; wall times depend on it)`);
  console.log('shape                          kernel               wall-ms   GFLOP/s  of-ceiling  GFLOP/cpu-s   ref-cpu-ms  ref-GFLOP/s  vs-ref');
  for (const r of rows) {
    const ref = Number.isNaN(r.cpuMs) ? '' : `${r.cpuMs.toFixed(0).padStart(12)} ${r.cpuGflops.toFixed(2).padStart(12)} ${r.speedupVsCpu.toFixed(0).padStart(6)}x`;
    console.log(
      `${r.shape.padEnd(30)} ${r.kernel.padEnd(19)} ${r.ms.toFixed(2).padStart(8)} ${r.gflops.toFixed(1).padStart(9)} ${(100 * r.ofCeiling).toFixed(0).padStart(9)}%  ` +
        `${r.gflopsPerCpuSecond.toFixed(1).padStart(11)} ${ref}`,
    );
  }
  mkdirSync('out', { recursive: true });
  writeFileSync('out/bench-conv.json', JSON.stringify({ date: new Date().toISOString(), loadavg: loadavg(), env: { LP_NATIVE_VECTOR_WIDTH: process.env.LP_NATIVE_VECTOR_WIDTH ?? null, LP_NUM_THREADS: process.env.LP_NUM_THREADS ?? null }, rows }, null, 2));
  shutdown();
}
