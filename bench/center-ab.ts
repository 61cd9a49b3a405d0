/**
 * A/B timing of the feature centring before the Gram (centerColumns: the fused one-dispatch kernel
 * against the five chunked dispatches) at the layer-CKA shapes (n = 256, p = 2 × 12544, 6272, 3136,
 * 1568: near the 8 layers' 2 × 12544, 2 × 6272, 3 × 3136, 1568), in one process, interleaved,
 * medians over rounds, with the load average; also checks the bits agree.
 *
 * With --ucenter: the U-centring of the 8 layers' 256 × 256 Gram matrices instead (uCenter: its
 * column sums in one dispatch against the two of the chunked tree).
 *
 *   npx vite-node bench/center-ab.ts [--rounds N] [--ucenter]
 */
import { parseArgs } from 'node:util';
import { init, shutdown, Rng } from '../src/node.js';
import { timeBufferVariants } from './harness.js';
import { centerColumns, uCenter, type CenterVariant } from '../src/kernels/hsic.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '9' }, ucenter: { type: 'boolean', default: false } } });
const eng = await init({ fastPolling: 'always' });
const rt = eng.runtime!;
const n = 256;
const ps = args.ucenter ? Array<number>(8).fill(n) : [12544, 12544, 6272, 6272, 3136, 3136, 1568, 1568];
// ReLU-like features: a large positive mean (the case the two passes are for); with --ucenter,
// symmetric matrices of such values.
const xs = ps.map((p, i) => {
  const v = new Float32Array(new Rng(i).fillUniform(n * p, 0, 1).map((x) => Math.max(0, 3 * x - 0.5)));
  if (args.ucenter) for (let r = 0; r < n; r++) for (let c = 0; c < r; c++) v[r * n + c] = v[c * n + r]!;
  return rt.createFilled(v, 'x');
});
const variants: CenterVariant[] = args.ucenter ? ['chunked', 'fused'] : ['chunked', 'fused', 'fused4'];
const run = (v: CenterVariant): GPUBuffer[] => ps.map((p, i) => (args.ucenter ? uCenter(rt, xs[i]!, n, v) : centerColumns(rt, xs[i]!, n, p, v)));
const read = (bs: GPUBuffer[]): Promise<Float32Array[]> => Promise.all(bs.map((b, i) => rt.read(b, n * ps[i]! * 4, 'c').then((a) => new Float32Array(a))));
const ref = await read(run('chunked'));
for (const v of variants.slice(1)) {
  const got = await read(run(v));
  let diff = 0;
  ref.forEach((x, i) => x.forEach((e, j) => void (Object.is(e, got[i]![j]) || diff++)));
  console.log(`${v} vs chunked: ${diff} entries differ`);
}
await timeBufferVariants(rt, variants, (v) => v, run, Number(args.rounds));
shutdown();
