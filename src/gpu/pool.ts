import { BufferUsage } from './flags.js';

/**
 * A size-class pool of GPU buffers. Sizes round up to one of four classes per power of two
 * (at most 19% waste), so freed buffers are reused across slightly different shapes.
 * Buffers released while an unsubmitted command encoder may still reference them go to
 * `pending` and reach the free lists only when `onSubmitted()` runs: handing such a buffer out
 * again would let a later `writeBuffer` overwrite data the pending dispatch has not read yet.
 * The free lists hold at most `capBytes`; beyond that the oldest buffers are destroyed. The default,
 * 1 GiB, keeps the working set of a PGD-10 step on a batch of 256 (cnn-small) pooled: at 256 MiB the
 * attack destroyed and re-created its largest buffers every step and took 9.6–10.2 s instead of
 * 6.1–6.9 s (three alternations in one process, lavapipe, idle two-core machine, 2026-12-02). A
 * fresh buffer costs more than its allocation: the driver zero-fills it and the pages fault in.
 */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  /** Released while unsubmitted work may still use them, by size key; free at the next submit. */
  private pending = new Map<string, GPUBuffer[]>();
  /** Handed out again before the submit (see `acquire`): writeBuffer into these must wait for it. */
  readonly reusedInBatch = new Set<GPUBuffer>();
  private order: { key: string; buffer: GPUBuffer }[] = [];
  pooledBytes = 0;
  liveBuffers = 0;
  liveBytes = 0;
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    public capBytes = 1024 * 1024 * 1024,
  ) {}

  static sizeClass(bytes: number): number {
    const b = Math.max(16, Math.ceil(bytes / 4) * 4);
    if (b <= 256) return 256;
    const p = 2 ** Math.floor(Math.log2(b));
    const step = p / 4;
    return Math.ceil(b / step) * step;
  }

  /**
   * A buffer of at least `bytes`. With `inBatch`, a buffer released earlier in the same unsubmitted
   * command buffer may come back: the dispatches of one command buffer run in order (WebGPU
   * synchronises them), so a later dispatch may overwrite what an earlier one read. Only
   * `queue.writeBuffer`, which runs before the whole command buffer, may not; `reusedInBatch`
   * names those buffers, and the uploader submits before writing into one. Without this reuse a
   * PGD-10 attack on batch 256 (667 dispatches in 2 submits) created 478 fresh buffers, each
   * zero-filled by the driver: 5.7-6.3 s instead of 2.7 s (lavapipe, 2026-12-02).
   */
  acquire(bytes: number, usage: number, label: string, inBatch = false): GPUBuffer {
    const size = BufferPool.sizeClass(bytes);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    let buffer = list?.pop();
    if (buffer) {
      this.pooledBytes -= size;
      const i = this.order.findIndex((e) => e.buffer === buffer);
      if (i >= 0) this.order.splice(i, 1);
    } else if (inBatch && (buffer = this.pending.get(key)?.pop())) {
      this.reusedInBatch.add(buffer);
    } else {
      buffer = this.device.createBuffer({ size, usage, label });
      this.created++;
    }
    this.liveBuffers++;
    this.liveBytes += size;
    return buffer;
  }

  /** Give a buffer back; `inFlight` means an unsubmitted encoder may still use it. */
  release(buffer: GPUBuffer, usage: number, inFlight: boolean): void {
    const key = `${usage}:${buffer.size}`;
    this.liveBuffers--;
    this.liveBytes -= buffer.size;
    if (inFlight) {
      let list = this.pending.get(key);
      if (!list) this.pending.set(key, (list = []));
      list.push(buffer);
    } else this.toFree(key, buffer);
  }

  onSubmitted(): void {
    const p = this.pending;
    this.pending = new Map();
    this.reusedInBatch.clear();
    for (const [key, list] of p) for (const buffer of list) this.toFree(key, buffer);
  }

  private toFree(key: string, buffer: GPUBuffer): void {
    if (buffer.size > this.capBytes) {
      buffer.destroy();
      return;
    }
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.order.push({ key, buffer });
    this.pooledBytes += buffer.size;
    while (this.pooledBytes > this.capBytes && this.order.length > 0) {
      const old = this.order.shift()!;
      const l = this.free.get(old.key)!;
      l.splice(l.indexOf(old.buffer), 1);
      this.pooledBytes -= old.buffer.size;
      old.buffer.destroy();
    }
  }

  /** Destroy every pooled buffer (memory goes back to the driver). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.order = [];
    this.pooledBytes = 0;
  }
}

export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
export const UNIFORM_USAGE = BufferUsage.UNIFORM | BufferUsage.COPY_DST;
export const READBACK_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;
