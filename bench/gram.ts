/**
 * Gram-kernel benchmark (issue 5 target: ≥ 40% of the adapter's FMA ceiling at n = 4096 examples ×
 * 4096 features). Times the symmetric Gram kernels (upper-triangle blocks only, mirrored writes; with
 * and without subgroup sharing), the
 * general matmul kernel computing X·Xᵀ through transposed strides for comparison, and the float64 CPU
 * reference on smaller shapes. Writes out/bench-gram.json.
 *
 *   npx vite-node bench/gram.ts            (source scripts/gpu-env.sh first on a machine without a GPU)
 *
 * Two rates are reported: `effectiveGflops` counts the 2·n²·p FLOPs of the full Gram matrix (what a
 * plain matmul would have to do); `executedGflops` counts the FMAs the symmetric kernel really runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { init, cpu, shutdown, Rng } from '../src/node.js';
import { padTo4 } from '../src/types.js';
import { canUseWideGram, gram as gramKernel, probeSubgroupGram, wideTile, type GramVariant } from '../src/kernels/hsic.js';
import type { Backend } from '../src/backend/types.js';

const BLOCK = 32; // gram_sym block side (8×8 lanes × 4×4 tiles)

/** FMAs the symmetric kernel executes: off-diagonal blocks in full, diagonal blocks on/above the tile diagonal. */
function executedFmas(n: number, ld: number): number {
  const nb = Math.ceil(n / BLOCK);
  let entries = 0;
  for (let bi = 0; bi < nb; bi++) {
    const hi = Math.min(BLOCK, n - bi * BLOCK);
    for (let bj = bi; bj < nb; bj++) {
      const wj = Math.min(BLOCK, n - bj * BLOCK);
      if (bi !== bj) entries += hi * wj;
      else {
        const tiles = Math.ceil(hi / 4);
        entries += ((tiles * (tiles + 1)) / 2) * 16; // padded tiles of the clamped edge included
      }
    }
  }
  return entries * ld;
}

/** FMAs gram_sym_wide executes: every launched (8·RA) × 32 block in full (blocks wholly below the diagonal return). */
function executedFmasWide(n: number, ld: number): number {
  const rows = 8 * wideTile(n).RA;
  let blocks = 0;
  for (let r0 = 0; r0 < n; r0 += rows) for (let c0 = 0; c0 < n; c0 += 32) if (c0 + 32 > r0) blocks++;
  return blocks * rows * 32 * ld;
}

async function median(reps: number, fn: () => Promise<void>): Promise<number> {
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

export interface GramRow {
  backend: string;
  kernel: string;
  n: number;
  p: number;
  ms: number;
  effectiveGflops: number;
  executedGflops: number;
}

export async function benchGram(opts: { sizes?: [number, number][]; cpuSizes?: [number, number][]; reps?: number } = {}): Promise<{ adapter: string; ceilingGflops: number; rows: GramRow[] }> {
  const eng = await init({ fastPolling: 'always' }); // as the CLI and bench/index.ts run
  const rt = eng.runtime!;
  const gpu = eng.backend as Backend<GPUBuffer>;
  const sizes = opts.sizes ?? [[256, 4096], [1024, 1024], [2048, 2048], [4096, 4096]];
  if (process.env.GRAM_SIZES) sizes.splice(0, sizes.length, ...(JSON.parse(process.env.GRAM_SIZES) as [number, number][]));
  const cpuSizes = opts.cpuSizes ?? [[128, 512], [256, 1024]];
  const reps = opts.reps ?? 3;
  const rows: GramRow[] = [];
  const row = (backend: string, kernel: string, n: number, p: number, ms: number, fmas: number): GramRow => {
    const r = { backend, kernel, n, p, ms, effectiveGflops: (2 * n * n * p) / ms / 1e6, executedGflops: (2 * fmas) / ms / 1e6 };
    console.log(`${kernel.padEnd(22)} n=${String(n).padStart(5)} p=${String(p).padStart(5)}  ${ms.toFixed(1).padStart(8)} ms  effective ${r.effectiveGflops.toFixed(1).padStart(6)} GFLOP/s  executed ${r.executedGflops.toFixed(1).padStart(6)} GFLOP/s`);
    rows.push(r);
    return r;
  };
  for (const [n, p] of sizes) {
    const ld = padTo4(p);
    const x = gpu.fromData(new Rng(n + p).fillUniform(n * ld, -1, 1), 'float32');
    // Warm-up (pipeline compilation) then timed runs; each run waits for the queue to drain.
    const variants: GramVariant[] = (await probeSubgroupGram(rt)) ? ['subgroup', 'plain'] : ['plain'];
    if (canUseWideGram(rt)) variants.unshift('wide');
    for (const v of variants) {
      const gram = async (): Promise<void> => {
        gpu.free(gramKernel(rt, x, n, ld, v));
        await rt.sync();
      };
      await gram(); // warm-up: pipeline compilation
      const name = v === 'wide' ? 'gram_sym_wide' : v === 'subgroup' ? 'gram_sym_sg' : 'gram_sym';
      row('webgpu', name, n, p, await median(n >= 4096 && v === 'plain' ? 1 : reps, gram), v === 'wide' ? executedFmasWide(n, ld) : executedFmas(n, ld));
    }
    const viaMatmul = async (): Promise<void> => {
      gpu.free(gpu.matmul(x, { offset: 0, sb: 0, si: ld, sj: 1 }, x, { offset: 0, sb: 0, si: 1, sj: ld }, 1, n, ld, n));
      await rt.sync();
    };
    if (n * n * p <= 2048 ** 3) {
      // The general kernel, for comparison (skipped at the largest size: it takes minutes here).
      await viaMatmul();
      row('webgpu', 'matmul X·Xᵀ (strided)', n, p, await median(reps, viaMatmul), n * n * ld);
    }
    gpu.free(x);
  }
  for (const [n, p] of cpuSizes) {
    const ld = padTo4(p);
    const x = new Rng(n).fillUniform(n * ld, -1, 1);
    row('cpu', 'gram (float64 JS)', n, p, await median(reps, async () => void cpu.gram(x, n, ld)), (n * (n + 1) * ld) / 2);
  }
  const adapter = gpu.describe();
  shutdown();
  return { adapter, ceilingGflops: 154, rows };
}

// vite-node hides the script path from process.argv, so the file runs itself unless an importer
// (a bench aggregator) sets ROBUSTLENS_BENCH_IMPORT=1 before importing it.
if (!process.env.ROBUSTLENS_BENCH_IMPORT) {
  const r = await benchGram();
  const big = r.rows.find((x) => x.kernel === 'gram_sym_wide' && x.n === 4096 && x.p === 4096) ??
    r.rows.find((x) => x.kernel === 'gram_sym_sg' && x.n === 4096 && x.p === 4096) ?? r.rows.find((x) => x.kernel === 'gram_sym' && x.n === 4096 && x.p === 4096);
  const out = {
    when: new Date().toISOString(),
    ...r,
    target: 'Gram kernel (the one gram() picks) at n = p = 4096: >= 40% of the FMA ceiling (154 GFLOP/s on Dawn + lavapipe 25, perf-facts.md)',
    fractionOfCeiling: big ? { effective: big.effectiveGflops / r.ceilingGflops, executed: big.executedGflops / r.ceilingGflops } : null,
    note: 'the machine is shared with other processes: compare only numbers from one run',
  };
  mkdirSync('out', { recursive: true });
  writeFileSync('out/bench-gram.json', JSON.stringify(out, null, 2));
  console.log(`wrote out/bench-gram.json (${r.adapter})`);
}
