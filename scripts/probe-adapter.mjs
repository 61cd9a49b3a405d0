// Asks Dawn (the npm package `webgpu`) for a WebGPU adapter and prints one line of JSON:
//   {"ok":true,"vendor":"mesa","architecture":"...","device":"...","description":"llvmpipe ..."}
// or {"ok":false,"reason":"..."}. Exit code 0 when an adapter was found, 1 when not, 2 when the
// `webgpu` package cannot be loaded. Used by scripts/setup.sh; run it as
//   node scripts/probe-adapter.mjs [path/to/webgpu/index.js]
// (the argument lets setup.sh probe before `npm ci`, with a copy of `webgpu` in .cache/).
import { pathToFileURL } from 'node:url';

const where = process.argv[2];
let webgpu;
try {
  webgpu = await import(where ? pathToFileURL(where).href : 'webgpu');
} catch (e) {
  console.log(JSON.stringify({ ok: false, reason: `cannot load the webgpu package: ${e.message}` }));
  process.exit(2);
}
process.env.XDG_RUNTIME_DIR ||= '/tmp';
// Keep the GPU object referenced until we exit (perf-facts.md: a collected one can hang lavapipe).
const gpu = webgpu.create([]);
globalThis.__probeGpu = gpu;
const adapter = await gpu.requestAdapter();
if (!adapter) {
  console.log(JSON.stringify({ ok: false, reason: 'Dawn found no WebGPU adapter' }));
  process.exit(1);
}
const i = adapter.info ?? {};
console.log(JSON.stringify({ ok: true, vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description }));
// dawn.node keeps the event loop alive; leave explicitly.
process.exit(0);
