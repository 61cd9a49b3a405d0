import { LimitError } from '../errors.js';
import { CommandBatch } from './commands.js';
import { storageLimitError } from './limits.js';
import { STORAGE_USAGE } from './pool.js';

/**
 * Storage buffers (the third layer of GpuRuntime): allocation from the pool with the device's
 * limits checked first, guarded scopes that give back what a failed op allocated, buffers adopted
 * from the caller (never pooled or destroyed), and uploads.
 */
export class StorageScopes extends CommandBatch {
  /** Storage buffers created inside each open `guarded` call and not released yet (innermost last). */
  private readonly scopes: Set<GPUBuffer>[] = [];

  /**
   * Buffers the caller owns (`fromGPUBuffer`): tensors may use them, but freeing such a tensor
   * never pools or destroys the buffer.
   */
  private readonly adopted = new WeakSet<GPUBuffer>();

  /** Raise LimitError if a storage buffer of `bytes` cannot exist here (call before allocating host memory). */
  checkStorageSize(bytes: number, label: string): void {
    const error = storageLimitError(bytes, this.maxBufferBytes, label);
    if (error) throw error;
  }

  /** A storage buffer for a kernel to write (possibly one the unsubmitted commands used before). */
  createStorage(bytes: number, label: string): GPUBuffer {
    return this.acquireStorage(bytes, label, true);
  }

  /**
   * A new storage buffer holding `data`. It is never one the unsubmitted commands still use:
   * writeBuffer runs before them, so filling such a buffer would have to submit them first.
   */
  createFilled(data: ArrayBufferView, label: string): GPUBuffer {
    const buffer = this.acquireStorage(data.byteLength, label, false);
    this.upload(buffer, data);
    return buffer;
  }

  private acquireStorage(bytes: number, label: string, inBatch: boolean): GPUBuffer {
    this.checkAlive(label);
    this.checkStorageSize(bytes, label);
    const buffer = this.pool.acquire(bytes, STORAGE_USAGE, label, inBatch);
    this.scopes.at(-1)?.add(buffer);
    return buffer;
  }

  /**
   * Run `fn` (a backend op); if it throws, give back every storage buffer it created and did not
   * release. A launcher allocates its output before it dispatches, so without this a dispatch that
   * fails (a limit, a bad uniform) would leak the output. On success the buffers belong to the
   * caller (or to the enclosing guard).
   */
  guarded<T>(fn: () => T): T {
    const mine = new Set<GPUBuffer>();
    this.scopes.push(mine);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.scopes.pop();
      for (const b of mine) this.releaseStorage(b);
      throw e;
    }
    this.scopes.pop();
    const parent = this.scopes.at(-1);
    if (parent) for (const b of mine) parent.add(b);
    return result;
  }

  /** Let tensors use a buffer created by the caller on this device; see `fromGPUBuffer`. */
  adopt(buffer: GPUBuffer, label: string): void {
    this.checkAlive(label);
    if (buffer.size > this.maxBufferBytes) {
      throw new LimitError(
        `${label}: the buffer has ${buffer.size} bytes but this device binds at most ${this.maxBufferBytes} bytes ` +
          `(maxStorageBufferBindingSize); split it into several buffers.`,
      );
    }
    this.adopted.add(buffer);
  }

  releaseStorage(buffer: GPUBuffer): void {
    for (const scope of this.scopes) scope.delete(buffer);
    if (this.adopted.has(buffer)) return; // the caller's buffer: theirs to destroy
    // Recorded but unsubmitted work may still read it: the pool holds it back until the submit.
    this.pool.release(buffer, STORAGE_USAGE, this.batched > 0);
  }

  upload(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.checkAlive('upload');
    // writeBuffer runs before the recorded commands: submit them first if they still use this buffer.
    if (this.pool.reusedInBatch.has(buffer)) this.flush();
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }
}
