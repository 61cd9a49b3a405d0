/**
 * The Node bootstrap: WebGPU through Dawn (the npm package `webgpu`). Browser and Deno bundles
 * never import this file; it is the `robustlens/node` export.
 */
import { create } from 'webgpu';
import { init as initCore, type Engine, type InitOptions } from './init.js';

// dawn.node's GPU object must stay referenced for the life of its devices: when it was garbage
// collected, lavapipe runs hung or aborted (perf-facts.md). A module-level variable keeps it.
let dawnGpu: GPU | null = null;
let pollingPatched = false;

/**
 * dawn.node polls pending GPU promises by re-arming the global `setImmediate`, which busy-waits a
 * whole core while a readback is pending. Replacing it with a short spin followed by a 1 ms timer
 * doubled measured throughput on two cores (perf-facts.md). Only `setImmediate` calls made while a
 * GPU promise is pending are affected in practice; pass `fastPolling: false` to leave it alone.
 */
function patchPolling(): void {
  if (pollingPatched) return;
  pollingPatched = true;
  const original = globalThis.setImmediate;
  const patched = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    const start = performance.now();
    const spin = (): void => {
      if (performance.now() - start < 0.3) original(spin);
      else setTimeout(() => fn(...args), 1);
    };
    return original(spin);
  }) as unknown as typeof setImmediate;
  // Dawn reads setImmediate from globalThis when it schedules a poll.
  (globalThis as { setImmediate: typeof setImmediate }).setImmediate = Object.assign(patched, { __promisify__: (original as { __promisify__?: unknown }).__promisify__ }) as typeof setImmediate;
}

export interface NodeInitOptions extends InitOptions {
  /** See patchPolling above; default true. */
  fastPolling?: boolean;
}

/**
 * Dawn's `GPU` object (Node's `navigator.gpu`), created once and kept alive for the process. Apps
 * that make their own device use it: `const device = await (await nodeGpu().requestAdapter())!.requestDevice()`,
 * then `init({ device })`.
 */
export function nodeGpu(opts: { fastPolling?: boolean } = {}): GPU {
  if (opts.fastPolling !== false) patchPolling();
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  dawnGpu ??= create([]) as unknown as GPU;
  return dawnGpu;
}

/** `init()` for Node: creates Dawn's GPU object and finds an adapter. */
export async function init(opts: NodeInitOptions = {}): Promise<Engine> {
  if (!opts.device && !opts.gpu && opts.backend !== 'cpu') {
    return initCore({ ...opts, gpu: nodeGpu(opts) });
  }
  return initCore(opts);
}

export * from './index.js';
export * from './data/fs-node.js';
export * from './data/datasets-node.js';
