/**
 * A/B timing of the feature centring before the Gram (centerColumns: the fused one-dispatch kernel
 * against the five chunked dispatches) at the layer-CKA shapes (n = 256, the 8 layers' p), in one
 * process, interleaved, medians over rounds, with the load average; also checks the bits agree.
 *
 *   npx vite-node bench/center-ab.ts [--rounds N]
 */
import { parseArgs } from 'node:util';
import { init, shutdown, Rng } from '../src/node.js';
import { timeBufferVariants } from './harness.js';
import { centerColumns, type CenterVariant } from '../src/kernels/hsic.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '9' } } });
const eng = await init({ fastPolling: 'always' });
const rt = eng.runtime!;
const n = 256;
const ps = [12544, 12544, 6272, 6272, 3136, 3136, 1568, 1568];
// ReLU-like features: a large positive mean (the case the two passes are for).
const xs = ps.map((p, i) => rt.createFilled(new Float32Array(new Rng(i).fillUniform(n * p, 0, 1).map((v) => Math.max(0, 3 * v - 0.5))), 'x'));
const variants: CenterVariant[] = ['chunked', 'fused', 'fused4'];
const run = (v: CenterVariant): GPUBuffer[] => ps.map((p, i) => centerColumns(rt, xs[i]!, n, p, v));
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
