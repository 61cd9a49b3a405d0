/**
 * The input gradient of cnn-small's first conv (1->32, 3x3, pad 1, 28x28): gy (N,32,28,28) -> dx
 * (N,1,28,28), the one-output-channel case. The strip kernel (shaders/conv_strips.wgsl) against the
 * row kernel it replaced (conv2d_rows3 with CB = 1, convVariants.strips = false), side by side in
 * one process: per round every variant is timed once (timeGpuCalls: several calls back to back per
 * timed run, ms per call), variants in turn, so that a change of machine load hits them alike; the
 * medians and ranges over the rounds, the ratio old / new per round, the rates as fractions of the
 * adapter's FMA and copy ceilings (bench/ceilings.ts, measured at the start and the end; traffic: gy
 * read once and dx written once), and the load average before and after. Every variant's dx is first
 * checked against the old kernel's on the same data. With `--op fwd`, the forward of the same conv
 * with a bias, x (N,1,28,28) -> y (N,32,28,28): the strip kernel of conv_strips_c1.wgsl against the
 * row kernels (convVariants.stripsFwd = false; same traffic: x read once, y written once).
 *
 *   source scripts/gpu-env.sh && npx vite-node bench/conv-dx1.ts [-- --op dx|fwd --batches 64,256 --rounds 9 --variants 0x0,0x0x0,28x8]
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

/**
 * A variant: the old row kernel, or the strip kernel with `rows` rows and `px` columns per
 * invocation (0: the launcher's choice), with subgroups or not; written ROWSxPX or ROWSxPXx0.
 */
type Variant = { name: string; strips: boolean; rows: number; px: number; subgroups: boolean; v4?: boolean };

function variants(spec: string): Variant[] {
  const old: Variant = { name: fwd ? 'rows3 (old)' : 'rows3 CB=1 (old)', strips: false, rows: 0, px: 0, subgroups: true };
  return [old, ...spec.split(',').map((s) => {
    const [rows, px, sg, v4] = s.split('x').map(Number);
    const shape = rows || px ? `${rows || 'auto'} rows x ${px || 'auto'} px` : 'auto';
    const name = `strips ${shape}${sg === 0 ? ', no subgroups' : ''}${v4 === 0 ? ', no vec4' : ''}`;
    return { name, strips: true, rows: rows!, px: px!, subgroups: sg !== 0, v4: v4 !== 0 };
  })];
}

const fwd = arg('op', 'dx') === 'fwd';

function use(v: Variant): void {
  if (fwd) convVariants.stripsFwd = v.strips;
  else convVariants.strips = v.strips;
  if (v.strips) {
    convVariants.stripRows = v.rows;
    convVariants.stripPx = v.px;
  }
  convVariants.subgroups = v.subgroups;
  convVariants.vec4Stores = v.v4 ?? true;
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const batches = arg('batches', '64,256').split(',').map(Number);
  const rounds = Number(arg('rounds', '9'));
  const vs = variants(arg('variants', '0x0,0x0x0'));
  const ctx = await setup(rounds);
  const b = getBackend() as Backend<GPUBuffer>;
  console.log(`adapter: ${ctx.adapter}; load average before: ${load()}`);
  // The adapter's FMA and copy ceilings at the start and the end; rates are given as fractions of the larger.
  const c0 = await measureCeilings(ctx, 'start');
  const results: { N: number; line: (fma: number, copy: number) => string }[] = [];
  const defaults = { ...convVariants };
  try {
    for (const N of batches) {
      const g: ConvGeom = { N, C: 1, H: 28, W: 28, O: 32, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, OH: 28, OW: 28 };
      const flop = 2 * N * 32 * 28 * 28 * 9;
      const rng = new Rng(N);
      const w = b.fromData(Float32Array.from(rng.fillNormal(32 * 9, 0, 0.1)), 'float32');
      const gy = b.fromData(Float32Array.from(rng.fillNormal(N * (fwd ? 1 : 32) * 28 * 28)), 'float32');
      const bias = b.fromData(Float32Array.from(rng.fillNormal(32)), 'float32');
      const run = (): GPUBuffer => (fwd ? b.conv2d(gy, w, bias, g) : b.conv2dBackwardInput(gy, w, g));
      const outLen = N * (fwd ? 32 : 1) * 784;
      try {
        // Every variant agrees with the old kernel before anything is timed.
        const outs: Float32Array[] = [];
        for (const v of vs) {
          use(v);
          const dx = run();
          outs.push((await b.read(dx, outLen, 'float32')) as Float32Array);
          b.free(dx);
        }
        for (let k = 1; k < vs.length; k++) {
          let err = 0;
          for (let i = 0; i < outs[0]!.length; i++) err = Math.max(err, Math.abs(outs[k]![i]! - outs[0]![i]!));
          if (!(err < 1e-4)) throw new Error(`${vs[k]!.name} differs from the old kernel by ${err}`);
        }
        const times: number[][] = vs.map(() => []);
        let calls = 0;
        for (let r = 0; r < rounds; r++) {
          for (let k = 0; k < vs.length; k++) {
            use(vs[k]!);
            const t = await timeGpuCalls(ctx.rt, () => {
              const dx = run();
              return [{ dispose: () => b.free(dx) }];
            }, 1, { calls: 'auto' });
            times[k]!.push(t.ms);
            calls = Math.max(calls, t.calls);
          }
        }
        const head = `\nbatch ${N}: ${(flop / 1e6).toFixed(1)} MFLOP, ${fwd ? 'y' : 'gy'} ${((N * 32 * 784 * 4) / 1e6).toFixed(1)} MB; ${rounds} rounds; load average after them ${load()}`;
        const old = times[0]!;
        const bytes = N * 32 * 784 * 4 + N * 784 * 4; // gy read once, dx written once (fwd: x read, y written)
        results.push({ N, line: (fma, copy) => [head, ...vs.map((v, k) => {
          const ts = times[k]!;
          const m = median(ts);
          const ratio = median(ts.map((t, i) => old[i]! / t));
          const gf = flop / m / 1e6;
          const gb = bytes / m / 1e6;
          return `  ${v.name.padEnd(26)} median ${m.toFixed(3)} ms (${Math.min(...ts).toFixed(3)}-${Math.max(...ts).toFixed(3)}), ${gf.toFixed(1)} GFLOP/s = ${((100 * gf) / fma).toFixed(0)}% of FMA, ${gb.toFixed(1)} GB/s = ${((100 * gb) / copy).toFixed(0)}% of copy; old/this per round: median ${ratio.toFixed(2)}x`;
        })].join('\n') });
      } finally {
        b.free(w);
        b.free(gy);
        b.free(bias);
      }
    }
  } finally {
    Object.assign(convVariants, defaults);
  }
  const c1 = await measureCeilings(ctx, 'end');
  const fma = Math.max(c0.gflops, c1.gflops);
  const copy = Math.max(c0.gbps, c1.gbps);
  console.log(`ceilings (larger of start/end): FMA ${fma.toFixed(1)} GFLOP/s (${c0.gflops.toFixed(1)} / ${c1.gflops.toFixed(1)}), copy ${copy.toFixed(1)} GB/s (${c0.gbps.toFixed(1)} / ${c1.gbps.toFixed(1)})`);
  for (const r of results) console.log(r.line(fma, copy));
  console.log(`\nload average after: ${load()}`);
  shutdown();
}

await main();
