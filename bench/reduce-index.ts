/**
 * The reduce kernels' division-free index paths (reduceOptions.direct, DIRECT in shaders/reduce.wgsl:
 * one kept axis, one reduced axis of any stride, one chunk per output) against the general index
 * arithmetic, on the reductions of a cnn-small training step: the weight-gradient partial sums
 * ([splits, weights] over the splits), the bias gradients (over N, H, W; over the batch) and a row
 * sum. Side by side in one process, each timed once per round in turn (medians of 9 rounds, the
 * per-round ratio general / direct); the two give the same bits, checked first. Software adapters
 * divide lane by lane, so a division per element or per lane is what the direct paths remove.
 *
 *   source scripts/gpu-env.sh && npx vite-node bench/reduce-index.ts
 */
import { loadavg } from 'node:os';
import * as rl from '../src/node.js';
import { reduceOptions } from '../src/kernels/reduce.js';
import { median, setup, timeGpuCalls } from './harness.js';
const ctx = await setup(5);
console.log('load average', loadavg().map((l) => l.toFixed(2)).join(' '));
for (const [shape, axes] of [[[256, 288], [0]], [[4, 18432], [0]], [[64, 32, 28, 28], [0, 2, 3]], [[64, 64, 14, 14], [0, 2, 3]], [[64, 128], [0]], [[256, 10], [1]], [[37, 5, 9], [0, 2]]] as [number[], number[]][]) {
  const g = rl.randn(shape, 1);
  const outs: number[][] = [];
  for (const d of [false, true]) { reduceOptions.direct = d; const y = rl.sum(g, axes); outs.push(Array.from(await y.data())); y.dispose(); }
  const same = outs[0]!.every((v, i) => Object.is(v, outs[1]![i]));
  const ts: number[][] = [[], []];
  for (let r = 0; r < 9; r++) for (const d of [0, 1]) { reduceOptions.direct = d === 1; ts[d]!.push((await timeGpuCalls(ctx.rt, () => [rl.sum(g, axes)], 1, { calls: 'auto' })).ms); }
  const ratio = median(ts[0]!.map((t, i) => t / ts[1]![i]!));
  console.log(`${shape.join('x')} over ${axes.join(',')}: general ${median(ts[0]!).toFixed(3)} ms, direct ${median(ts[1]!).toFixed(3)} ms, ratio ${ratio.toFixed(2)}, same bits ${same}`);
  g.dispose();
}
reduceOptions.direct = true;
console.log('load average', loadavg().map((l) => l.toFixed(2)).join(' '));
rl.shutdown();
