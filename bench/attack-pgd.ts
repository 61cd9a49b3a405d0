// PGD-10 (L∞) on a batch of 256 through a 784-256-10 MLP: wall time per attack, with and without
// per-step success tracking. Run: source scripts/gpu-env.sh && npx vite-node bench/attack-pgd.ts
// (No conv layers on this branch yet; the cnn-small / TF.js comparison needs them.)
import * as rl from '../src/node.js';
import { Mlp } from '../test/helpers/models.js';

const engine = await rl.init();
const B = 256;
const model = new Mlp(784, 256, 10, 1);
const x = rl.tensor(new rl.Rng(2).fillUniform(B * 784), [B, 1, 28, 28]);
const rng = new rl.Rng(3);
const y = Int32Array.from({ length: B }, () => rng.int(10));
console.log(rl.getBackend().describe());
for (const trackSteps of [true, false]) {
  const times: number[] = [];
  for (let rep = 0; rep < 6; rep++) {
    const t0 = performance.now();
    const r = rl.robust.pgdTensors(model, x, y, rl.robust.resolvePgd('bench', x, y, { eps: 0.1, steps: 10, alpha: 0.025, seed: rep, trackSteps }));
    await r.success.data();
    times.push(performance.now() - t0);
    for (const t of Object.values(r)) t.dispose();
  }
  times.sort((a, b) => a - b);
  console.log(`PGD-10, B=${B}, MLP 784-256-10, trackSteps=${trackSteps}: median ${times[3]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)}) over 6 runs after warm-up included`);
}
x.dispose();
model.dispose();
await rl.shutdown();
void engine;
