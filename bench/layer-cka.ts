/**
 * Layer × layer minibatch CKA throughput (issue 5 target: an 8 × 8 matrix over 10,000 images with
 * minibatch 256 in under 60 s). The real CNN layers are written elsewhere; this stands in with an
 * 8-layer MLP on 28×28 inputs (784 → 512 → … features, every output tapped), so it measures the
 * capture + CKA pipeline, not a CNN forward pass. The same computation runs on the float64 CPU
 * reference over fewer images and is reported per image. Writes out/bench-layer-cka.json.
 *
 *   npx vite-node bench/layer-cka.ts      (IMAGES=10000 by default)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { init, shutdown, cpu, tensor, matmul, relu, Rng, type Backend, type Tensor } from '../src/node.js';
import { Module, tap, type ForwardContext } from '../src/nn/module.js';
import { layerSimilarity } from '../src/analysis/features.js';

class Mlp extends Module {
  constructor(readonly ws: Tensor[]) {
    super();
  }
  protected override ownParameters(): [string, Tensor][] {
    return this.ws.map((w, i) => [`w${i}`, w]);
  }
  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    let h = x;
    this.ws.forEach((w, i) => {
      const at = ctx ? { ...ctx, prefix: `fc${i}` } : undefined;
      h = tap(at, i < this.ws.length - 1 ? relu(matmul(h, w)) : matmul(h, w));
    });
    return h;
  }
}

const widths = [784, 512, 512, 256, 256, 128, 128, 64, 10];

function mlp(backend: Backend<any>, seed: number): Mlp {
  const r = new Rng(seed);
  return new Mlp(widths.slice(0, -1).map((w, i) => tensor(r.fillNormal(w * widths[i + 1]!).map((v) => v / Math.sqrt(w)), [w, widths[i + 1]!], { backend })));
}

async function run(backend: Backend<any>, images: number, batch: number): Promise<{ ms: number; values: number[][] }> {
  const a = mlp(backend, 1);
  const b = mlp(backend, 2);
  const rng = new Rng(7);
  const batches: Tensor[] = [];
  for (let i = 0; i + batch <= images; i += batch) batches.push(tensor(rng.fillUniform(batch * 784, 0, 1), [batch, 784], { backend }));
  const t0 = performance.now();
  const m = await layerSimilarity(a, b, batches);
  const ms = performance.now() - t0;
  for (const t of batches) t.dispose();
  a.dispose();
  b.dispose();
  return { ms, values: m.values };
}

export async function benchLayerCka(images = 10_000, cpuImages = 512, batch = 256) {
  const eng = await init();
  const gpu = await run(eng.backend, images, batch);
  const ref = await run(cpu, cpuImages, batch);
  const used = Math.floor(images / batch) * batch;
  const usedCpu = Math.floor(cpuImages / batch) * batch;
  const out = {
    adapter: eng.backend.describe(),
    layers: 8,
    batch,
    gpu: { images: used, seconds: gpu.ms / 1000 },
    cpuReference: { images: usedCpu, seconds: ref.ms / 1000, extrapolatedSecondsFor: { images: used, seconds: (ref.ms / 1000) * (used / usedCpu) } },
    note: 'stand-in 8-layer MLP (not the trained CNN); two models, 8 x 8 cross matrix; machine shared with other processes',
  };
  shutdown();
  return out;
}

if (!process.env.ROBUSTLENS_BENCH_IMPORT) {
  const r = await benchLayerCka(Number(process.env.IMAGES ?? 10_000), Number(process.env.CPU_IMAGES ?? 512));
  console.log(JSON.stringify(r, null, 2));
  mkdirSync('out', { recursive: true });
  writeFileSync('out/bench-layer-cka.json', JSON.stringify(r, null, 2));
}
