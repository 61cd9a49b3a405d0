import { RobustlensError } from '../errors.js';
import { MapModeRead } from './flags.js';
import { READBACK_USAGE } from './pool.js';
import type { KernelTime } from './profiler.js';
import { StorageScopes } from './storage.js';
import { gpuWait } from './wait-scope.js';

export type { AdapterDescription } from './device.js';
export type { DispatchSpec } from './commands.js';

/**
 * Owns one GPUDevice; everything here is WebGPU only. Built in layers, one purpose each:
 * DeviceState (device-state.ts: the device, its pool, pipelines and health), CommandBatch
 * (commands.ts: recording and submitting dispatches), StorageScopes (storage.ts: allocation,
 * guarded scopes, adopted buffers), and this class: reading results back and waiting for the GPU.
 * Every wait goes through gpuWait (wait-scope.ts), where robustlens/node may hook fast polling.
 */
export class GpuRuntime extends StorageScopes {
  /** Read `bytes` from the start of `buffer`; submits pending work first. */
  async read(buffer: GPUBuffer, bytes: number, label: string): Promise<ArrayBuffer> {
    this.checkAlive(label);
    this.endPass();
    const staging = this.pool.acquire(bytes, READBACK_USAGE, 'readback');
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(buffer, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    this.flush();
    try {
      await gpuWait(() => staging.mapAsync(MapModeRead, 0, staging.size));
    } catch (e) {
      this.checkAlive(label);
      throw new RobustlensError(`${label}: reading back from the GPU failed: ${(e as Error).message}`);
    }
    const out = staging.getMappedRange(0, staging.size).slice(0, bytes);
    staging.unmap();
    this.pool.release(staging, READBACK_USAGE, false);
    this.checkUncaptured(label);
    return out;
  }

  /**
   * Backpressure for loops that queue work without reading anything back (a training epoch): wait
   * while more than `maxInFlight` submitted command buffers are unfinished. Without it JavaScript
   * runs ahead of the GPU by thousands of steps; lavapipe crashed once ~900 steps were queued.
   */
  async throttle(maxInFlight = 3): Promise<void> {
    if (this.inFlight <= maxInFlight || this.lost) return;
    await gpuWait(async () => {
      while (this.inFlight > maxInFlight && !this.lost) await this.device.queue.onSubmittedWorkDone();
    });
  }

  /** Wait until the queue is idle. */
  async sync(): Promise<void> {
    this.flush();
    await gpuWait(() => this.device.queue.onSubmittedWorkDone());
    this.checkAlive('sync');
    this.checkUncaptured('sync');
  }

  get canProfile(): boolean {
    return this.profiler.available;
  }

  /** Start collecting per-kernel GPU times (one compute pass per dispatch while on). */
  startProfile(): void {
    this.flush();
    this.profiler.start(); // raises, naming the feature, where the adapter has no timestamps
  }

  /** Stop profiling and return total GPU milliseconds per kernel, largest first. */
  async stopProfile(): Promise<KernelTime[]> {
    this.flush();
    return this.profiler.stop();
  }

  destroy(): void {
    this.flush();
    this.pool.trim();
    this.profiler.destroy();
    this.device.destroy();
  }
}
