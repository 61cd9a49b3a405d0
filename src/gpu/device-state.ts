import { DeviceLostError, RobustlensError } from '../errors.js';
import type { AdapterDescription } from './device.js';
import { PipelineCache } from './pipelines.js';
import { BufferPool } from './pool.js';

/**
 * The bottom of GpuRuntime (runtime.ts; the layers above add command batching, storage and
 * readback): one GPUDevice, its buffer pool and pipeline cache, and its health. A lost device and
 * an uncaptured WebGPU error are recorded when Dawn reports them and raised at the next call that
 * checks, with the op (and, for errors, the last dispatch) named.
 */
export class DeviceState {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /**
   * The adapter's smallest subgroup size when the device has the 'subgroups' feature, else 0.
   * Set by init(); kernels that shuffle across lanes check it before choosing a subgroup variant.
   */
  subgroupMinSize = 0;
  private lostInfo: string | null = null;
  private uncaptured: string | null = null;
  /** `shader.entry` of the last dispatch, named in uncaptured-error messages. */
  protected lastLabel = '';

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription,
  ) {
    this.pool = new BufferPool(device);
    this.pipelines = new PipelineCache(device);
    device.lost.then((info) => {
      this.lostInfo = `${info.reason ?? 'unknown'}: ${info.message || 'no message'}`;
    });
    device.addEventListener?.('uncapturederror', (ev: Event) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.uncaptured ??= `${e.message} (last dispatch: ${this.lastLabel})`;
    });
  }

  get lost(): boolean {
    return this.lostInfo !== null;
  }

  checkAlive(op: string): void {
    if (this.lostInfo !== null) {
      throw new DeviceLostError(
        `${op}: the GPU device was lost (${this.lostInfo}). Tensors on it are gone; ` +
          `call init() again and reload from your last checkpoint.`,
      );
    }
  }

  /** Raise (once) the first WebGPU error the device reported since the last check. */
  protected checkUncaptured(label: string): void {
    if (this.uncaptured !== null) {
      const msg = this.uncaptured;
      this.uncaptured = null;
      throw new RobustlensError(`${label}: the GPU reported an error: ${msg}`);
    }
  }

  get maxBufferBytes(): number {
    return Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
  }
}
