/**
 * The fused ReLU + max pooling (reluMaxPool2d, which Sequential runs for a ReLU followed by a
 * MaxPool2d) against the two layers, side by side in one process: cnn-small's forward and input
 * gradient (one attack step's work: logits, Σ logits·w, d/dx) on a batch, read back at the end.
 * Fusion off is the same model under a no-op tap (taps make Sequential run every layer); the cases
 * alternate round by round, and the per-round ratio off / on is reported with the medians, and the
 * load average before and after (software adapters share the CPU with whatever else runs).
 *
 * With --profile, each variant's step is then profiled per kernel (bench/profile.ts prints the tables).
 *
 *   source scripts/gpu-env.sh && npx vite-node bench/relu-pool.ts [-- --batch 256 --reps 9 --profile]
 */
import { loadavg } from 'node:os';
import * as rl from '../src/node.js';
import { cnnSmall } from '../src/nn/models.js';
import type { ForwardContext } from '../src/nn/module.js';
import { median, pairedRatio, setup, timeInterleaved, writeJson } from './harness.js';
import { profileStep } from './profile.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

async function main(): Promise<void> {
  const batch = arg('batch', 256);
  const reps = arg('reps', 9);
  const ctx = await setup(reps);
  const model = cnnSmall({ seed: 1 });
  const rng = new rl.Rng(2);
  const x = rl.tensor(rng.fillUniform(batch * 784), [batch, 1, 28, 28]);
  const w = rl.tensor(rng.fillNormal(batch * 10), [batch, 10]);
  const step = (c: ForwardContext | undefined) => async (): Promise<void> => {
    const [g] = rl.grad(() => rl.sum(rl.mul(model.forward(x, c), w)), [x]);
    await g!.data();
    g!.dispose();
  };
  const load0 = loadavg();
  const [on, off] = await timeInterleaved(ctx.rt, [
    { run: step(undefined), reps },
    { run: step({ tap: () => {} }), reps },
  ]);
  const load1 = loadavg();
  const ratio = pairedRatio(off!.all, on!.all);
  const fmt = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' ');
  console.log(`adapter: ${ctx.adapter}; cnn-small forward + input gradient, batch ${batch}, ${reps} interleaved rounds`);
  console.log(`load average (1, 5, 15 min): before ${fmt(load0)}, after ${fmt(load1)}`);
  console.log(`fused   (ReLU+MaxPool2d one op): median ${on!.ms.toFixed(1)} ms  [${on!.all.map((v) => v.toFixed(0)).join(' ')}]`);
  console.log(`unfused (two layers, no-op tap): median ${off!.ms.toFixed(1)} ms  [${off!.all.map((v) => v.toFixed(0)).join(' ')}]`);
  console.log(`unfused / fused per round: median ${ratio.median.toFixed(3)} (min ${ratio.min.toFixed(3)}, max ${ratio.max.toFixed(3)}); ratio of medians ${(median(off!.all) / median(on!.all)).toFixed(3)}`);
  if (process.argv.includes('--profile')) {
    for (const [name, c] of [['fused', undefined], ['unfused', { tap: () => {} }]] as const) {
      const p = await profileStep(ctx, `relu-pool-${name}`, `cnn-small forward + input gradient, batch ${batch}, ${name}`, step(c));
      console.log(`${name}: kernels ${p.kernelMs.toFixed(1)} ms per step`);
    }
  }
  writeJson('relu-pool', { adapter: ctx.adapter, batch, reps, load: { before: load0, after: load1 }, fused: on, unfused: off, ratio });
  for (const t of [x, w]) t.dispose();
  model.dispose();
  rl.shutdown();
}

await main();
