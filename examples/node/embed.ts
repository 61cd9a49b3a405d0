/**
 * An app that owns its WebGPU device and buffers, and uses robustlens on them without copies:
 *
 *   1. the app creates its device (Dawn, the `webgpu` package) and its own storage buffers,
 *   2. `init({ device })` makes the engine use that device,
 *   3. `fromGPUBuffer` wraps the app's buffers as tensors (no copy), the engine computes on them,
 *   4. `gpuBuffer` hands the result's buffer back, and the app binds it in its own compute pass.
 *
 * Run: npm run build && npx vite-node examples/node/embed.ts   (scripts/test.sh runs it)
 */
import { create } from 'webgpu';
import { fromGPUBuffer, gpuBuffer, init, matmul, shutdown, softmax, tidy } from 'robustlens/node';

// WebGPU's flag values (dawn.node does not define the GPUBufferUsage globals unless asked).
const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01;

// ---- The app's own device and data -----------------------------------------------------------
const gpu = create([]); // keep this referenced for as long as the device lives
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error('no WebGPU adapter: run `bash scripts/setup.sh` and `source scripts/gpu-env.sh`');
const device = await adapter.requestDevice();

const [batch, features, classes] = [5, 8, 3];
const xs = Float32Array.from({ length: batch * features }, (_, i) => Math.sin(i * 0.7));
const ws = Float32Array.from({ length: features * classes }, (_, i) => Math.cos(i * 1.3) * 0.5);
const upload = (data: Float32Array<ArrayBuffer>): GPUBuffer => {
  const b = device.createBuffer({ size: data.byteLength, usage: STORAGE | COPY_SRC | COPY_DST });
  device.queue.writeBuffer(b, 0, data);
  return b;
};
const xBuf = upload(xs);
const wBuf = upload(ws);

// ---- robustlens on the app's device and buffers ----------------------------------------------
const engine = await init({ device });
console.log(`engine on the app's device: ${engine.adapter!.description || engine.adapter!.device}`);
const x = fromGPUBuffer(xBuf, [batch, features]); // no copy: the tensor reads xBuf
const w = fromGPUBuffer(wBuf, [features, classes]);
const probs = tidy(() => softmax(matmul(x, w)));

// ---- The app's own kernel reads the engine's result buffer directly --------------------------
const argmaxWgsl = /* wgsl */ `
  @group(0) @binding(0) var<storage, read> probs: array<f32>;
  @group(0) @binding(1) var<storage, read_write> label: array<u32>;
  @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
    let row = id.x;
    if (row >= ${batch}u) { return; }
    var best = 0u;
    for (var j = 1u; j < ${classes}u; j++) {
      if (probs[row * ${classes}u + j] > probs[row * ${classes}u + best]) { best = j; }
    }
    label[row] = best;
  }`;
const pipeline = device.createComputePipeline({
  layout: 'auto',
  compute: { module: device.createShaderModule({ code: argmaxWgsl }), entryPoint: 'main' },
});
const labels = device.createBuffer({ size: batch * 4, usage: STORAGE | COPY_SRC });
const staging = device.createBuffer({ size: batch * 4, usage: MAP_READ | COPY_DST });
const bind = device.createBindGroup({
  layout: pipeline.getBindGroupLayout(0),
  entries: [
    { binding: 0, resource: { buffer: gpuBuffer(probs) } }, // submits the engine's pending work first
    { binding: 1, resource: { buffer: labels } },
  ],
});
const enc = device.createCommandEncoder();
const pass = enc.beginComputePass();
pass.setPipeline(pipeline);
pass.setBindGroup(0, bind);
pass.dispatchWorkgroups(1);
pass.end();
enc.copyBufferToBuffer(labels, 0, staging, 0, batch * 4);
device.queue.submit([enc.finish()]);
await staging.mapAsync(MAP_READ);
const gpuLabels = Array.from(new Uint32Array(staging.getMappedRange().slice(0)));
staging.unmap();

// ---- Check against plain JavaScript ----------------------------------------------------------
const p = await probs.data();
let worst = 0;
const jsLabels: number[] = [];
for (let r = 0; r < batch; r++) {
  const logits = Array.from({ length: classes }, (_, j) => {
    let s = 0;
    for (let k = 0; k < features; k++) s += xs[r * features + k]! * ws[k * classes + j]!;
    return s;
  });
  const m = Math.max(...logits);
  const z = logits.reduce((a, l) => a + Math.exp(l - m), 0);
  logits.forEach((l, j) => (worst = Math.max(worst, Math.abs(Math.exp(l - m) / z - p[r * classes + j]!))));
  jsLabels.push(logits.indexOf(m));
}
console.log(`softmax(x·w) from the engine, labels from the app's kernel: ${gpuLabels.join(' ')}`);
console.log(`largest difference from float64 JavaScript: ${worst.toExponential(2)}; labels ${gpuLabels.join() === jsLabels.join() ? 'agree' : 'DISAGREE'}`);

// ---- Clean up: the engine frees its buffers; the app's stay the app's --------------------------
x.dispose();
w.dispose();
probs.dispose();
shutdown({ destroyDevice: false }); // the device is the app's: the engine does not destroy it
for (const b of [xBuf, wBuf, labels, staging]) b.destroy();
device.destroy();
const ok = worst < 1e-5 && gpuLabels.join() === jsLabels.join();
console.log(ok ? 'embed example: ok' : 'embed example: FAILED');
process.exit(ok ? 0 : 1);
