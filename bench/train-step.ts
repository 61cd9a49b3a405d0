// One cnn-small training step at batch 64 (forward, cross-entropy, backward, SGD-momentum update)
// through trainEpoch, and the fused optimizer update alone. Run:
//   source scripts/gpu-env.sh && npx vite-node bench/train-step.ts [steps]
import * as rl from '../src/node.js';
import { cnnSmall } from '../src/nn/models.js';
import { SGD, Adam } from '../src/optim/index.js';
import { trainEpoch, type Batch } from '../src/train/loop.js';

const steps = Number(process.argv[2] ?? 10);
const { runtime } = await rl.init();
const rt = runtime!;
console.log(`adapter: ${rl.getBackend().describe()}`);

const model = cnnSmall({ seed: 1 });
const opt = new SGD(model.namedParameters(), { lr: 0.01, momentum: 0.9 });
const rng = new rl.Rng(2);
const batch: Batch = { x: rl.tensor(rng.fillUniform(64 * 784), [64, 1, 28, 28]), y: Int32Array.from({ length: 64 }, (_, i) => i % 10) };
const nParams = model.parameters().reduce((a, p) => a + p.size, 0);

await trainEpoch(model, opt, [batch, batch], undefined, { keepBatches: true, quiet: true }); // compile pipelines
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  await rt.sync();
  const t0 = performance.now();
  await trainEpoch(model, opt, [batch], undefined, { keepBatches: true, quiet: true });
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const s0 = rt.submits;
const d0 = rt.dispatches;
const m = await trainEpoch(model, opt, Array.from({ length: steps }, () => batch), undefined, { keepBatches: true, quiet: true, logEvery: 1e9 });
console.log(`cnn-small train step, batch 64 (${nParams} parameters): median ${times[times.length >> 1]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)}) synced per step`);
console.log(`  ${steps} steps in one epoch: ${(1000 * m.seconds / steps).toFixed(1)} ms/step, ${m.samplesPerSecond.toFixed(0)} samples/s, ${((rt.dispatches - d0) / steps).toFixed(0)} dispatches/step, ${rt.submits - s0} submits in all`);

// The update alone: one fused dispatch per parameter tensor.
const grads = model.parameters().map((p) => rl.onesLike(p));
for (const [name, o] of [['SGD momentum', opt], ['Adam', new Adam(model.namedParameters())]] as const) {
  o.step(model.parameters(), grads);
  await rt.sync();
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) o.step(model.parameters(), grads);
  await rt.sync();
  const ms = (performance.now() - t0) / 20;
  console.log(`${name} update of ${nParams} parameters (${model.parameters().length} tensors): ${ms.toFixed(2)} ms/step`);
  if (o !== opt) o.dispose();
}
grads.forEach((g) => g.dispose());
batch.x.dispose();
opt.dispose();
model.dispose();
rl.shutdown();
