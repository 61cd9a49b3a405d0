/**
 * A/B timing of Gram kernel variants (gram_sym_wide's tile overrides; add an entry point to compare
 * another kernel) at the layer-CKA shapes (n = 256, p = 2 × 12544, 6272, 3136, 1568: near the 8
 * layers' 2 × 12544, 2 × 6272, 3 × 3136, 1568), in one process, interleaved
 * (harness.timeInterleaved), medians over rounds, with the load average.
 *
 *   npx vite-node bench/gram-ab.ts [--rounds N] [--only 0,2]   (GRAM_N=1024 GRAM_P='[1024]': other shapes)
 */
import { parseArgs } from 'node:util';
import { init, shutdown, Rng } from '../src/node.js';
import { timeBufferVariants } from './harness.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '9' }, only: { type: 'string', default: '' } } });
const eng = await init({ fastPolling: 'always' });
const rt = eng.runtime!;
const n = Number(process.env.GRAM_N ?? 256);
const hs = (f: Partial<Record<'n' | 'ld_in', number>>) => ({ n: 0, p: 0, ld_in: 0, ld_out: 0, chunk: 0, chunks: 0, zero_diag: 0, pairs: 0, rb: 0, scale: 1, gscale: 1, ...f });
const ps: number[] = process.env.GRAM_P ? JSON.parse(process.env.GRAM_P) : [12544, 12544, 6272, 6272, 3136, 3136, 1568, 1568];
const xs = ps.map((p, i) => rt.createFilled(new Float32Array(new Rng(i).fillUniform(n * p, 0, 1)), 'x'));
type V = { name: string; entry: 'gram_sym_wide'; o: Record<string, number>; rows: number; cols: number };
const all: V[] = [
  { name: 'wide RA2', entry: 'gram_sym_wide', o: { RA: 2, NV: 1, WG: 8 }, rows: 16, cols: 32 },
  { name: 'wide RA1', entry: 'gram_sym_wide', o: { RA: 1, NV: 1, WG: 8 }, rows: 8, cols: 32 },
  { name: 'wide RA3 (launcher, n >= 256)', entry: 'gram_sym_wide', o: { RA: 3, NV: 1, WG: 8 }, rows: 24, cols: 32 },
  { name: 'wide RA4', entry: 'gram_sym_wide', o: { RA: 4, NV: 1, WG: 8 }, rows: 32, cols: 32 },
  { name: 'wide RA3 WG16', entry: 'gram_sym_wide', o: { RA: 3, NV: 1, WG: 16 }, rows: 24, cols: 64 },
  { name: 'wide RA2 NV2', entry: 'gram_sym_wide', o: { RA: 2, NV: 2, WG: 8 }, rows: 16, cols: 64 },
];
const variants = args.only ? args.only.split(',').map((i) => all[Number(i)]!) : all;
function run(v: V): GPUBuffer[] {
  return ps.map((p, i) => {
    const dst = rt.createStorage(n * n * 4, 'dst');
    rt.dispatch({ shader: 'gram_sg', entry: 'gram_sym_wide', overrides: v.o, uniforms: hs({ n, ld_in: p }), buffers: { x4: xs[i]!, dst }, workgroups: [Math.ceil(n / v.cols), Math.ceil(n / v.rows), 1] });
    return dst;
  });
}
// Warm-up and a bitwise check against the first variant.
const ref = await Promise.all(run(variants[0]!).map((b) => rt.read(b, n * n * 4, 'ref')));
for (const v of variants.slice(1)) {
  const got = await Promise.all(run(v).map((b) => rt.read(b, n * n * 4, 'got')));
  let diff = 0;
  let rel = 0;
  got.forEach((g, i) => {
    const a = new Float32Array(g), b = new Float32Array(ref[i]!);
    for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) { diff++; rel = Math.max(rel, Math.abs(a[j]! - b[j]!) / Math.abs(b[j]!)); }
  });
  console.log(`${v.name}: ${diff} entries differ from ${variants[0]!.name} (max relative ${rel.toExponential(2)}); e.g. ${new Float32Array(got[7]!).slice(0, 3).join(' ')} vs ${new Float32Array(ref[7]!).slice(0, 3).join(' ')}`);
}
await timeBufferVariants(rt, variants, (v) => v.name, run, Number(args.rounds));
shutdown();
