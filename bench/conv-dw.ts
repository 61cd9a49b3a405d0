/**
 * The stride-1 3x3 weight gradient (dw) of cnn-small and the deeper plain CNN, the column kernel
 * (shaders/include/conv_cols.wgsl) with the launcher's chunk sizing against other invocation-count
 * targets (convVariants.dwLanes), side by side in one process as bench/conv-dx1.ts does: per round
 * every variant is timed once, in turn; medians and ranges over the rounds, the ratio
 * default / variant per round, the rate as a fraction of the adapter's FMA ceiling (bench/ceilings.ts,
 * start and end), and the load average. Every variant's dw is first checked against the default's.
 *
 *   source scripts/gpu-env.sh && npx vite-node bench/conv-dw.ts [-- --shapes 64:32:64:14,... --rounds 7 --lanes 512x4,0x8x0 --check 0 (probes)]
 */
import { loadavg } from 'node:os';
import { shutdown } from '../src/node.js';
import { getBackend } from '../src/engine.js';
import type { Backend } from '../src/backend/types.js';
import type { ConvGeom } from '../src/types.js';
import { convVariants } from '../src/kernels/conv.js';
import { Rng } from '../src/random.js';
import { measureCeilings } from './ceilings.js';
import { median, setup, timeGpuCalls } from './harness.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

// N:C:O:HW — cnn-small's 32->64 on 14x14 (b64, b256), the plain CNN's 16/32/64 on 28/14/7.
const SHAPES = '64:32:64:14,256:32:64:14,64:16:16:28,64:32:32:14,64:64:64:7';

async function main(): Promise<void> {
  const shapes = arg('shapes', SHAPES).split(',').map((s) => s.split(':').map(Number) as [number, number, number, number]);
  const rounds = Number(arg('rounds', '7'));
  // A variant: LANESxCHANNELS[x0] (0: the launcher's choice; x0: the kernel without subgroups).
  type V = { lanes: number; ch: number; sg: boolean };
  const lanes: V[] = [{ lanes: 0, ch: 0, sg: true }, ...arg('lanes', '0x8,1024x8').split(',').map((s) => {
    const [l, ch, sg] = s.split('x').map(Number);
    return { lanes: l!, ch: ch ?? 0, sg: sg !== 0 };
  })];
  const name = (v: V): string => `${v.lanes || 'auto'} lanes x ${v.ch || 'auto'} ch${v.sg ? '' : ', no sg'}`;
  const use = (v: V): void => {
    convVariants.dwLanes = v.lanes;
    convVariants.dwChannels = v.ch;
    convVariants.subgroups = v.sg;
  };
  const ctx = await setup(rounds);
  const b = getBackend() as Backend<GPUBuffer>;
  console.log(`adapter: ${ctx.adapter}; load average before: ${load()}`);
  const c0 = await measureCeilings(ctx, 'start');
  const lines: ((fma: number) => string)[] = [];
  const defaults = { ...convVariants };
  try {
    for (const [N, C, O, S] of shapes) {
      const g: ConvGeom = { N, C, H: S, W: S, O, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, OH: S, OW: S };
      const flop = 2 * N * O * C * S * S * 9;
      const rng = new Rng(N + C + O + S);
      const x = b.fromData(Float32Array.from(rng.fillNormal(N * C * S * S)), 'float32');
      const gy = b.fromData(Float32Array.from(rng.fillNormal(N * O * S * S)), 'float32');
      try {
        // Every variant agrees with the default (float32 sums in another order: relative 1e-3).
        const outs: Float32Array[] = [];
        for (const l of lanes) {
          use(l);
          const dw = b.conv2dBackwardWeight(x, gy, g);
          outs.push((await b.read(dw, O * C * 9, 'float32')) as Float32Array);
          b.free(dw);
        }
        for (let k = 1; k < lanes.length; k++) {
          let err = 0;
          for (let i = 0; i < outs[0]!.length; i++) err = Math.max(err, Math.abs(outs[k]![i]! - outs[0]![i]!) / (1 + Math.abs(outs[0]![i]!)));
          if (!(err < 1e-3) && arg('check', '1') !== '0') throw new Error(`${name(lanes[k]!)} differs from the default by ${err}`);
        }
        const times: number[][] = lanes.map(() => []);
        for (let r = 0; r < rounds; r++) {
          for (let k = 0; k < lanes.length; k++) {
            use(lanes[k]!);
            const t = await timeGpuCalls(ctx.rt, () => {
              const dw = b.conv2dBackwardWeight(x, gy, g);
              return [{ dispose: () => b.free(dw) }];
            }, 1, { calls: 'auto' });
            times[k]!.push(t.ms);
          }
        }
        const head = `\n(${N},${C},${S},${S})->${O} dw: ${(flop / 1e6).toFixed(1)} MFLOP; ${rounds} rounds; load average after them ${load()}`;
        lines.push((fma) => [head, ...lanes.map((l, k) => {
          const ts = times[k]!;
          const m = median(ts);
          const ratio = median(ts.map((t, i) => times[0]![i]! / t));
          const gf = flop / m / 1e6;
          return `  ${name(l).padEnd(20)} median ${m.toFixed(3)} ms (${Math.min(...ts).toFixed(3)}-${Math.max(...ts).toFixed(3)}), ${gf.toFixed(1)} GFLOP/s = ${((100 * gf) / fma).toFixed(0)}% of FMA; default/this per round: median ${ratio.toFixed(2)}x`;
        })].join('\n'));
      } finally {
        b.free(x);
        b.free(gy);
      }
    }
  } finally {
    Object.assign(convVariants, defaults);
  }
  const c1 = await measureCeilings(ctx, 'end');
  const fma = Math.max(c0.gflops, c1.gflops);
  console.log(`FMA ceiling (larger of start/end): ${fma.toFixed(1)} GFLOP/s (${c0.gflops.toFixed(1)} / ${c1.gflops.toFixed(1)})`);
  for (const l of lines) console.log(l(fma));
  console.log(`\nload average after: ${load()}`);
  shutdown();
}

await main();
