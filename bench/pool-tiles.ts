/**
 * The 2x2 tiled max-pool kernels (fused with ReLU, forward and backward, shaders/pool.wgsl) on the
 * pooled planes of cnn-small: the scalar tiled kernels, the vec2-row kernels (`pairs`) and the
 * two-windows-per-invocation vec4-row kernels (`quads`, rows a multiple of 4 wide), side by side in
 * one process: per round each variant is timed once, in turn, so that a change of load hits them
 * alike; medians over the rounds, the per-round ratio to the scalar kernels, the rate on the
 * kernel's real traffic (x read, y written; the backward also reads gy), and the load average.
 * Every variant's output is first checked bit for bit against the scalar kernels'.
 *
 *   source scripts/gpu-env.sh && npx vite-node bench/pool-tiles.ts [-- --rounds 7]
 */
import { loadavg } from 'node:os';
import { shutdown } from '../src/node.js';
import { getBackend } from '../src/engine.js';
import type { Backend } from '../src/backend/types.js';
import type { PoolGeom } from '../src/types.js';
import { poolVariants } from '../src/kernels/pool.js';
import { Rng } from '../src/random.js';
import { median, setup, timeGpuCalls } from './harness.js';

const i = process.argv.indexOf('--rounds');
const rounds = i >= 0 ? Number(process.argv[i + 1]) : 7;
const variants = [
  { name: 'scalar tiles', pairs: false, quads: false },
  { name: 'vec2 rows (pairs)', pairs: true, quads: false },
  { name: 'vec4 rows (quads)', pairs: true, quads: true },
];
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

const ctx = await setup(rounds);
const b = getBackend() as Backend<GPUBuffer>;
const defaults = { ...poolVariants };
console.log(`adapter: ${ctx.adapter}; load average before: ${load()}`);
try {
  for (const [N, C, H] of [[64, 32, 28], [64, 64, 14], [256, 32, 28], [256, 64, 14]] as const) {
    const g: PoolGeom = { planes: N * C, H, W: H, KH: 2, KW: 2, SH: 2, SW: 2, PH: 0, PW: 0, OH: H / 2, OW: H / 2 };
    const rng = new Rng(N + H);
    const n = N * C * H * H;
    const x = b.fromData(Float32Array.from(rng.fillNormal(n)), 'float32');
    const gy = b.fromData(Float32Array.from(rng.fillNormal(n / 4)), 'float32');
    try {
      for (const dir of ['forward', 'backward'] as const) {
        const run = (): GPUBuffer => (dir === 'forward' ? b.reluMaxPool2d(x, g) : b.reluMaxPool2dBackward(x, gy, g));
        const len = dir === 'forward' ? n / 4 : n;
        const outs: Float32Array[] = [];
        for (const v of variants) {
          Object.assign(poolVariants, v);
          const y = run();
          outs.push((await b.read(y, len, 'float32')) as Float32Array);
          b.free(y);
        }
        for (let k = 1; k < outs.length; k++) {
          const bad = outs[k]!.findIndex((v, j) => !Object.is(v, outs[0]![j]));
          if (bad >= 0) throw new Error(`${variants[k]!.name} differs from the scalar kernels at ${bad}`);
        }
        const times: number[][] = variants.map(() => []);
        for (let r = 0; r < rounds; r++) {
          for (let k = 0; k < variants.length; k++) {
            Object.assign(poolVariants, variants[k]);
            const t = await timeGpuCalls(ctx.rt, () => {
              const y = run();
              return [{ dispose: () => b.free(y) }];
            }, 1, { calls: 'auto' });
            times[k]!.push(t.ms);
          }
        }
        const bytes = 4 * n * (dir === 'forward' ? 1.25 : 2.25);
        console.log(`\n${dir} (${N}, ${C}, ${H}, ${H}), ${(bytes / 1e6).toFixed(1)} MB moved; load average ${load()}`);
        variants.forEach((v, k) => {
          const m = median(times[k]!);
          const ratio = median(times[k]!.map((t, j) => times[0]![j]! / t));
          console.log(`  ${v.name.padEnd(18)} median ${m.toFixed(3)} ms, ${(bytes / m / 1e6).toFixed(1)} GB/s; scalar/this per round: median ${ratio.toFixed(2)}x`);
        });
      }
    } finally {
      b.free(x);
      b.free(gy);
    }
  }
} finally {
  Object.assign(poolVariants, defaults);
}
console.log(`\nload average after: ${load()}`);
shutdown();
