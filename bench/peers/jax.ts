/**
 * jax-js (`@jax-js/jax`) on WebGPU as a peer, in this Node process, on the adapter robustlens uses.
 *
 * jax-js's README lists WebGPU for browsers and Deno only, but its `init('webgpu')` needs no more
 * than `navigator.gpu`, `navigator.userAgent` and the GPUBufferUsage / GPUMapMode / GPUShaderStage
 * globals. In plain Node 20 (@jax-js/jax 0.1.25) it fails on each in turn: "ReferenceError: navigator
 * is not defined"; with `navigator = { gpu }` only, "TypeError: Cannot read properties of undefined
 * (reading 'includes')" (its Firefox check reads userAgent when the WebGPU module loads); without the
 * globals, "ReferenceError: GPUBufferUsage is not defined" (logged, and init returns no 'webgpu').
 * So this benchmark process (only) gets them from Dawn, with `navigator.gpu` set to the very Dawn
 * `GPU` object our engine uses (`nodeGpu()`). jax-js then requests its own adapter and device from
 * it (it cannot be handed an outside device), so both engines run on the same adapter through two
 * devices; the loader checks that the adapter jax-js got is ours. Its synchronous readback (`dataSync`, an
 * OffscreenCanvas trick) does not exist here; the benchmarks use the async `data()` and
 * `blockUntilReady()`.
 */
import { globals } from 'webgpu';
import { nodeGpu } from '../../src/node.js';
import type { GpuRuntime } from '../../src/gpu/runtime.js';

export type Jax = typeof import('@jax-js/jax');

export interface JaxPeer {
  jax: Jax;
  /** jax-js's own GPUDevice (its adapter is ours, checked at load). */
  device: GPUDevice;
  /** What the adapter says about itself, as jax-js's device sees it. */
  adapter: string;
}

let peer: Promise<{ peer: JaxPeer } | { skipped: string }> | null = null;

/** jax-js on WebGPU, or why it cannot run here (`skipped`); loaded once per process. */
export function jaxWebGpu(rt: GpuRuntime): Promise<{ peer: JaxPeer } | { skipped: string }> {
  peer ??= load(rt).then(
    (p) => ({ peer: p }),
    (e: unknown) => ({ skipped: (e as Error).message }),
  );
  return peer;
}

const describe = (i: Partial<GPUAdapterInfo> | undefined): string => (i ? [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ') : '?');

async function load(rt: GpuRuntime): Promise<JaxPeer> {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals)) if (!(k in g)) g[k] = v;
  const gpu = nodeGpu();
  if (!g.navigator) g.navigator = {};
  const nav = g.navigator as { gpu?: unknown; userAgent?: string };
  // Another peer (TF.js) may have put its own Dawn instance there: jax-js gets ours.
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  if (typeof nav.userAgent !== 'string') Object.defineProperty(nav, 'userAgent', { value: `Node.js/${process.versions.node} (Dawn)`, configurable: true });
  let jax: Jax;
  try {
    jax = await import('@jax-js/jax');
  } catch (e) {
    throw new Error(`@jax-js/jax cannot be imported (${(e as Error).message}); it is a devDependency: run npm install`);
  }
  const devices = await jax.init('webgpu');
  if (!devices.includes('webgpu')) throw new Error(`jax-js init('webgpu') found no WebGPU device (navigator.gpu.requestAdapter gave none); devices: ${devices.join(', ')}`);
  jax.defaultDevice('webgpu');
  const device = jax.getWebGPUDevice();
  const theirs = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const ours = (rt.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (theirs && ours && describe(theirs) !== describe(ours)) {
    throw new Error(`jax-js got a different adapter (${describe(theirs)}) from ours (${describe(ours)}); set VK_ICD_FILENAMES to one driver (source scripts/gpu-env.sh)`);
  }
  return { jax, device, adapter: describe(theirs) };
}
