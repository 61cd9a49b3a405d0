/**
 * CKA timings for before/after comparisons (issue 13): the computation behind `robustlens similarity`
 * (similarityFromMatrices: linear, debiased, RBF t = 0.5 and 1.0 biased and debiased, minibatch CKA)
 * on n = 2048 examples of p = 512 and q = 256 features, then the layer × layer CKA rows of
 * bench/layer-cka.ts. It uses only APIs that exist before and after the HSIC-on-Tensors change, so
 * the same file times both checkouts; run it on an otherwise idle machine. Writes out/bench-cka.json.
 *
 *   npx vite-node bench/cka.ts [--reps N] [--n N --p P --q Q] [--batch M] [--images N] [--cpu-images N] [--no-layers | --layers-only]
 *
 * --layers-only skips the similarity row and runs the layer row --reps times in one process (after
 * one training), reporting each run and their median; --cpu-images 0 skips its CPU reference.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { init, shutdown, Rng } from '../src/node.js';
import { similarityFromMatrices, type SimilarityReport } from '../src/analysis/similarity.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    n: { type: 'string', default: '2048' },
    p: { type: 'string', default: '512' },
    q: { type: 'string', default: '256' },
    batch: { type: 'string', default: '256' },
    images: { type: 'string', default: '9984' },
    'cpu-images': { type: 'string', default: '256' },
    'no-layers': { type: 'boolean', default: false },
    'layers-only': { type: 'boolean', default: false },
  },
});
const num = (name: keyof typeof args): number => {
  const v = Number(args[name]);
  if (!(Number.isInteger(v) && (v >= 1 || (v === 0 && name === 'cpu-images')))) throw new Error(`bench/cka: --${name} needs a positive integer, got ${args[name]}`);
  return v;
};

/** Paired ReLU-like features: Y shares its first columns with X (plus noise), so the CKA values are far from 0. */
function features(n: number, p: number, q: number): { A: Float32Array; B: Float32Array } {
  const rng = new Rng(2048);
  const A = Float32Array.from(rng.fillNormal(n * p), (v, k) => Math.max(v + 0.3 * (k % 7), 0));
  const noise = rng.fillNormal(n * q);
  const B = Float32Array.from(noise, (v, k) => 0.7 * A[Math.floor(k / q) * p + ((k % q) % p)]! + v);
  return { A, B };
}

async function similarityRow(n: number, p: number, q: number, batch: number, reps: number) {
  const eng = await init({ fastPolling: 'always' }); // as the CLI and bench/index.ts run (the pre-13 engine patched the global by default)
  const { A, B } = features(n, p, q);
  const run = (): Promise<SimilarityReport> => similarityFromMatrices({ data: A, shape: [n, p] }, { data: B, shape: [n, q] }, { batchSize: batch });
  const t0 = performance.now();
  const report = await run(); // the first call also compiles the pipelines
  const firstMs = performance.now() - t0;
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const row = {
    adapter: eng.backend.describe(),
    op: 'similarity (linear, debiased, RBF 0.5/1.0 biased + debiased, minibatch)',
    shape: { n, p, q, batch },
    medianMs: sorted[Math.floor(sorted.length / 2)]!,
    runsMs: ms.map((v) => Math.round(v * 10) / 10),
    firstCallMs: Math.round(firstMs),
    // The values, to check that before and after agree.
    values: { linear: report.linear, debiased: report.debiased, rbf: report.rbf, minibatch: report.minibatch.value },
  };
  console.log(`similarity n=${n} p=${p} q=${q} batch=${batch}: median ${row.medianMs.toFixed(1)} ms of ${reps} (first call ${row.firstCallMs} ms) on ${row.adapter}`);
  console.log(`  values ${JSON.stringify(row.values)}`);
  shutdown();
  return row;
}

const reps = num('reps');
if (args['layers-only'] && args['no-layers']) throw new Error('bench/cka: --layers-only and --no-layers exclude each other');
const similarity = args['layers-only'] ? 'skipped (--layers-only)' : await similarityRow(num('n'), num('p'), num('q'), num('batch'), reps);
let layers: unknown = 'skipped (--no-layers)';
if (!args['no-layers']) {
  process.env.ROBUSTLENS_BENCH_IMPORT = '1'; // import bench/layer-cka.ts without running its own main
  const { benchLayerCka } = await import('./layer-cka.js');
  layers = await benchLayerCka(num('images'), num('cpu-images'), num('batch'), args['layers-only'] ? reps : 1);
  console.log(`layer-cka ${JSON.stringify(layers, null, 1)}`);
}
mkdirSync('out', { recursive: true });
const out = { date: new Date().toISOString(), loadAverage: loadavg().map((v) => Number(v.toFixed(2))), similarity, layers };
writeFileSync('out/bench-cka.json', JSON.stringify(out, null, 2));
console.log('-> out/bench-cka.json');
