import { RobustlensError } from '../errors.js';
import { BufferUsage, MapModeRead } from './flags.js';
import { READBACK_USAGE } from './pool.js';
import { gpuWait } from './wait-scope.js';

/** Query slots per set: 2 timestamps per pass, so 256 passes before the set must be resolved. */
const QUERIES = 512;

export interface KernelTime {
  kernel: string;
  ms: number;
  count: number;
}

/**
 * Per-kernel GPU times from timestamp queries (only where the adapter has 'timestamp-query').
 * While active, the command batcher gives each dispatch its own compute pass from `beginPass`,
 * with timestamps written at its start and end; `resolve` copies them out before each submit and
 * reads them back asynchronously into per-kernel totals.
 */
export class TimestampProfiler {
  active = false;
  private querySet: GPUQuerySet | null = null;
  private labels: string[] = [];
  private reads: Promise<void>[] = [];
  private readonly totals = new Map<string, { ms: number; count: number }>();

  constructor(private readonly device: GPUDevice) {}

  get available(): boolean {
    return this.device.features.has('timestamp-query');
  }

  /** Whether the query set is full: the batcher submits (and so resolves) before the next pass. */
  get full(): boolean {
    return this.labels.length >= QUERIES / 2;
  }

  start(): void {
    if (!this.available) throw new RobustlensError(`profiling: this adapter has no 'timestamp-query' feature`);
    this.active = true;
    this.totals.clear();
  }

  /** Stop and return total GPU milliseconds per kernel, largest first (after every pending read). */
  async stop(): Promise<KernelTime[]> {
    this.active = false;
    await Promise.all(this.reads);
    this.reads = [];
    return [...this.totals.entries()].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);
  }

  /** A compute pass labelled `label` whose start and end are timestamped. */
  beginPass(encoder: GPUCommandEncoder, label: string): GPUComputePassEncoder {
    this.querySet ??= this.device.createQuerySet({ type: 'timestamp', count: QUERIES });
    this.labels.push(label);
    const q = this.labels.length - 1;
    return encoder.beginComputePass({
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * q, endOfPassWriteIndex: 2 * q + 1 },
    });
  }

  /** Encode the copy-out of this encoder's timestamps (call just before it is submitted). */
  resolve(encoder: GPUCommandEncoder): void {
    const labels = this.labels;
    if (labels.length === 0) return;
    this.labels = [];
    const bytes = labels.length * 16;
    const resolved = this.device.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: bytes, usage: READBACK_USAGE });
    encoder.resolveQuerySet(this.querySet!, 0, labels.length * 2, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    const read = gpuWait(async () => {
      await this.device.queue.onSubmittedWorkDone();
      await staging.mapAsync(MapModeRead);
      const t = new BigUint64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      staging.destroy();
      resolved.destroy();
      labels.forEach((label, i) => {
        const ms = Number(t[2 * i + 1]! - t[2 * i]!) / 1e6;
        const e = this.totals.get(label) ?? { ms: 0, count: 0 };
        e.ms += ms;
        e.count++;
        this.totals.set(label, e);
      });
    });
    this.reads.push(read);
  }

  destroy(): void {
    this.querySet?.destroy();
  }
}
