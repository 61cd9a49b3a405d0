import { createWebGpuBackend } from './backend/webgpu.js';
import type { Backend } from './backend/types.js';
import { cpu, engine, setBackend } from './engine.js';
import { describe, requestDevice, type AdapterDescription } from './gpu/device.js';
import { GpuRuntime } from './gpu/runtime.js';
import { shaders } from './gpu/shaders.generated.js';

export interface InitOptions {
  /** Adopt a device the caller already owns (its buffers can then be wrapped as tensors). */
  device?: GPUDevice;
  /** The WebGPU entry point; defaults to navigator.gpu. robustlens/node passes Dawn's. */
  gpu?: GPU;
  /** Use the float64 CPU reference instead of WebGPU. */
  backend?: 'webgpu' | 'cpu';
}

export interface Engine {
  backend: Backend<any>;
  runtime: GpuRuntime | null;
  adapter: AdapterDescription | null;
}

/**
 * Find a WebGPU device (or adopt `opts.device`), compile every shader once (a WGSL error is
 * raised here, with shader, line and text), and make it the default backend.
 */
export async function init(opts: InitOptions = {}): Promise<Engine> {
  if (opts.backend === 'cpu') {
    setBackend(cpu);
    return { backend: cpu, runtime: null, adapter: null };
  }
  if (engine.runtime && !engine.runtime.lost && (!opts.device || opts.device === engine.runtime.device)) {
    return { backend: engine.backend, runtime: engine.runtime, adapter: engine.runtime.adapter };
  }
  let device = opts.device;
  let info: GPUAdapterInfo | undefined;
  if (!device) {
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    ({ device, info } = await requestDevice(opts.gpu ?? nav?.gpu));
  } else {
    info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  }
  const runtime = new GpuRuntime(device, describe(info, device));
  // Subgroup kernels are used only where the feature was granted and the adapter reports its sizes.
  const sgMin = (info as { subgroupMinSize?: number } | undefined)?.subgroupMinSize ?? 0;
  runtime.subgroupMinSize = device.features.has('subgroups') ? sgMin : 0;
  await runtime.pipelines.checkModules(shaders);
  engine.runtime = runtime;
  const backend = createWebGpuBackend(runtime);
  setBackend(backend);
  return { backend, runtime, adapter: runtime.adapter };
}

/** Release the device (destroying it unless it was adopted) and fall back to the CPU backend. */
export function shutdown(opts: { destroyDevice?: boolean } = {}): void {
  const rt = engine.runtime;
  engine.runtime = null;
  setBackend(cpu);
  if (!rt) return;
  if (opts.destroyDevice === false) {
    rt.flush();
    rt.pool.trim();
  } else {
    rt.destroy();
  }
}
