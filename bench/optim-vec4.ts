/**
 * The fused optimizer updates (shaders/optim.wgsl) over cnn-small's 8 parameter tensors (421,642
 * parameters; 7 of the 8 tensors are a multiple of 4 long): the scalar kernels against the vec4
 * ones (optimVariants.vec4), side by side in one process, each timed once per round in turn; the
 * medians, the per-round ratio scalar / vec4, the rate on the real traffic (SGD momentum: p, g, buf
 * read, p, buf written; Adam: p, g, m, v read, p, m, v written), and the load average. The two
 * variants' parameters are first checked to agree after the same steps.
 *
 *   source scripts/gpu-env.sh && npx vite-node bench/optim-vec4.ts [-- --rounds 9]
 */
import { loadavg } from 'node:os';
import * as rl from '../src/node.js';
import { cnnSmall } from '../src/nn/models.js';
import { Adam, SGD, type Optimizer } from '../src/optim/index.js';
import { optimVariants } from '../src/kernels/optim.js';
import { median, setup, timeGpuCalls } from './harness.js';

const i = process.argv.indexOf('--rounds');
const rounds = i >= 0 ? Number(process.argv[i + 1]) : 9;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

const ctx = await setup(rounds);
console.log(`adapter: ${ctx.adapter}; load average before: ${load()}`);
try {
  for (const [name, floats, make] of [
    ['SGD momentum', 5, (p: [string, rl.Tensor][]) => new SGD(p, { lr: 0.01, momentum: 0.9 })],
    ['Adam', 7, (p: [string, rl.Tensor][]) => new Adam(p, { lr: 1e-3 })],
  ] as [string, number, (p: [string, rl.Tensor][]) => Optimizer][]) {
    // One model and optimizer per variant, so that each keeps its own state.
    const runs = [false, true].map((vec4) => {
      const model = cnnSmall({ seed: 1 });
      const params = model.parameters();
      return { vec4, params, grads: params.map((p) => rl.full(p.shape, 1e-3)), opt: make(model.namedParameters()) };
    });
    const n = runs[0]!.params.reduce((a, p) => a + p.size, 0);
    for (const r of runs) {
      optimVariants.vec4 = r.vec4;
      r.opt.step(r.params, r.grads);
    }
    const [a, b] = await Promise.all(runs.map(async (r) => Float32Array.from((await Promise.all(r.params.map((p) => p.data()))).flatMap((d) => Array.from(d)))));
    const err = a!.reduce((m, v, j) => Math.max(m, Math.abs(v - b![j]!)), 0);
    if (!(err < 1e-6)) throw new Error(`${name}: vec4 and scalar parameters differ by ${err}`);
    const times: number[][] = [[], []];
    for (let r = 0; r < rounds; r++) {
      for (const [k, run] of runs.entries()) {
        optimVariants.vec4 = run.vec4;
        times[k]!.push((await timeGpuCalls(ctx.rt, () => run.opt.step(run.params, run.grads), 1, { calls: 'auto' })).ms);
      }
    }
    const bytes = 4 * floats * n;
    const ratio = median(times[0]!.map((t, j) => t / times[1]![j]!));
    console.log(`\n${name}, ${n} parameters in 8 tensors, ${(bytes / 1e6).toFixed(1)} MB moved; load average ${load()}`);
    for (const [k, label] of ['scalar', 'vec4'].entries()) {
      const m = median(times[k]!);
      console.log(`  ${label.padEnd(7)} median ${m.toFixed(3)} ms, ${(bytes / m / 1e6).toFixed(1)} GB/s`);
    }
    console.log(`  scalar / vec4 per round: median ${ratio.toFixed(2)}x`);
    for (const r of runs) {
      r.opt.dispose();
      r.grads.forEach((g) => g.dispose());
      r.params.forEach((p) => p.dispose());
    }
  }
} finally {
  optimVariants.vec4 = true;
}
console.log(`\nload average after: ${load()}`);
rl.shutdown();
