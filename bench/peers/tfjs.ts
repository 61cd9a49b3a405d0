/**
 * TF.js WebGPU as a peer, on the very GPUDevice robustlens uses (same adapter, same process).
 * TF.js looks for `navigator.gpu` and the GPUBufferUsage/GPUMapMode globals, which Node lacks: this
 * benchmark process (only) gets them from Dawn (`create([])` of the `webgpu` package). The backend is
 * then constructed on our device instead of TF.js requesting its own (TF.js's `navigator.gpu` path
 * would request a second device).
 */
import { create, globals } from 'webgpu';
import type { GpuRuntime } from '../../src/gpu/runtime.js';
import { callsFor, median } from '../harness.js';

type Tf = typeof import('@tensorflow/tfjs');
export interface TfPeer {
  tf: Tf;
  /** Submit TF.js's pending commands and wait for the queue. */
  sync(): Promise<void>;
}

let dawnGpu: unknown = null; // keep Dawn's GPU object referenced for the life of the process
let peer: Promise<TfPeer | null> | null = null;

export function tfjsWebGpu(rt: GpuRuntime): Promise<TfPeer | null> {
  peer ??= load(rt).catch((e: unknown) => {
    console.warn(`bench: TF.js WebGPU unavailable: ${(e as Error).message}`);
    return null;
  });
  return peer;
}

async function load(rt: GpuRuntime): Promise<TfPeer> {
  const g = globalThis as Record<string, unknown>;
  Object.assign(g, globals);
  dawnGpu ??= create([]);
  if (!g.navigator) g.navigator = { gpu: dawnGpu };
  else if (!(g.navigator as { gpu?: unknown }).gpu) Object.defineProperty(g.navigator, 'gpu', { value: dawnGpu, configurable: true });
  const tf = await import('@tensorflow/tfjs');
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const info = (rt.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo ?? { vendor: rt.adapter.vendor, architecture: rt.adapter.architecture };
  // Kernels are registered under the name 'webgpu': replace that backend's factory with ours.
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(rt.device, info as GPUAdapterInfo));
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its WebGPU backend on our device');
  await tf.ready();
  const backend = tf.backend() as unknown as { ensureCommandEncoderReady(): void; endComputePassEncoder(): void; submitQueue(): void };
  return {
    tf,
    async sync() {
      // What TF.js itself does before a readback: close the open pass and submit its encoder.
      backend.ensureCommandEncoderReady();
      backend.endComputePassEncoder();
      backend.submitQueue();
      await rt.device.queue.onSubmittedWorkDone();
    },
  };
}

/**
 * Time TF.js work the way harness.timeGpuCalls times ours: drain the queue, start the clock, record
 * `calls` calls back to back, submit and wait. The first run (shader compilation) is reported apart,
 * then one warm-up; the median of `reps` runs is returned per call. `calls: 'auto'` repeats short
 * work until a run takes about 20 ms (the wait for the queue costs up to a millisecond on Dawn).
 * `run` returns what to dispose once the queue has drained.
 */
export async function timeTfjs(
  peer: TfPeer,
  run: () => { dispose(): void }[] | { dispose(): void } | void,
  reps: number,
  calls: number | 'auto' = 1,
): Promise<{ ms: number; compileMs: number; all: number[]; calls: number }> {
  const once = async (k: number): Promise<number> => {
    await peer.sync();
    const t0 = performance.now();
    const garbage: { dispose(): void }[] = [];
    for (let i = 0; i < k; i++) {
      const g = run();
      if (Array.isArray(g)) garbage.push(...g);
      else if (g) garbage.push(g);
    }
    await peer.sync();
    const ms = (performance.now() - t0) / k;
    for (const g of garbage) g.dispose();
    return ms;
  };
  const compileMs = await once(1);
  const warm = await once(1);
  const k = calls === 'auto' ? callsFor(warm) : calls;
  const all: number[] = [];
  for (let i = 0; i < reps; i++) all.push(await once(k));
  return { ms: median(all), compileMs, all, calls: k };
}
