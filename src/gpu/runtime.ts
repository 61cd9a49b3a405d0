import { DeviceLostError, LimitError, RobustlensError } from '../errors.js';
import { BufferUsage, MapModeRead } from './flags.js';
import { PipelineCache, type Overrides } from './pipelines.js';
import { BufferPool, READBACK_USAGE, STORAGE_USAGE, UNIFORM_USAGE } from './pool.js';
import { shaders, type ShaderName } from './shaders.generated.js';
import type { ShaderModuleInfo } from './shader-types.js';

export interface DispatchSpec {
  shader: ShaderName;
  entry: string;
  overrides?: Overrides;
  /** Contents of the entry point's uniform binding, if it has one. */
  uniform?: ArrayBuffer;
  /** Storage buffers by binding number. */
  buffers: Readonly<Record<number, GPUBuffer>>;
  workgroups: readonly [number, number?, number?];
}

export interface AdapterDescription {
  runtime: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  limits: Record<string, number>;
}

/** Largest workgroup count per dimension that every WebGPU device accepts. */
const MAX_GROUPS = 65535;

/**
 * Kernels index elements with 32-bit integers (i32 where offsets can be negative, as around conv
 * padding), so no tensor may reach 2^31 elements. With 4-byte elements that is an 8 GiB buffer:
 * only a device that binds more than that ever meets this limit.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Split n invocations of a 1-D kernel of workgroup size wg into an (x, y) grid. */
export function grid1d(n: number, wg = 64): [number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= MAX_GROUPS) return [groups, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  // The kernels rebuild the index as gid.x + gid.y * nwg.x * WG in u32: the last invocation's
  // index, MAX_GROUPS * y * wg - 1, must not wrap past 2^32 - 1 onto a low element.
  if (y > MAX_GROUPS || MAX_GROUPS * y * wg > 2 ** 32) {
    throw new LimitError(`dispatch of ${n} invocations (workgroup size ${wg}) overflows 32-bit invocation indices; split the tensor`);
  }
  return [MAX_GROUPS, y];
}

/** The LimitError for a storage buffer of `bytes` on a device binding at most `maxBytes`, or null if it fits. */
export function storageLimitError(bytes: number, maxBytes: number, label: string): LimitError | null {
  const elements = Math.ceil(bytes / 4);
  if (elements > MAX_ELEMENTS) {
    return new LimitError(
      `${label}: ${elements} elements exceed ${MAX_ELEMENTS} (2^31 - 1), the most the kernels' 32-bit index ` +
        `arithmetic addresses; use a smaller batch or split the tensor.`,
    );
  }
  if (bytes > maxBytes) {
    return new LimitError(
      `${label}: ${elements} elements need a ${bytes}-byte buffer but this device binds at most ` +
        `${maxBytes} bytes (maxStorageBufferBindingSize); use a smaller batch or split the tensor.`,
    );
  }
  return null;
}

/**
 * Owns one GPUDevice: the buffer pool, the pipeline cache, and the shared command encoder.
 * Dispatches are recorded into one open compute pass; the encoder is submitted when a result is
 * read back, on `flush()`, or after `maxBatch` dispatches. Everything here is WebGPU only.
 */
export class GpuRuntime {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  maxBatch = 512;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batched = 0;
  private lostInfo: string | null = null;
  private uncaptured: string | null = null;
  private lastLabel = '';
  submits = 0;
  dispatches = 0;
  /** Submitted command buffers the GPU has not finished yet. */
  private inFlight = 0;
  /**
   * The adapter's smallest subgroup size when the device has the 'subgroups' feature, else 0.
   * Set by init(); kernels that shuffle across lanes check it before choosing a subgroup variant.
   */
  subgroupMinSize = 0;
  // Timestamp profiling (only when the adapter has 'timestamp-query').
  private profiling = false;
  private querySet: GPUQuerySet | null = null;
  private queryLabels: string[] = [];
  private profileReads: Promise<void>[] = [];
  private readonly profileTotals = new Map<string, { ms: number; count: number }>();

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

  get maxBufferBytes(): number {
    return Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
  }

  /** Raise LimitError if a storage buffer of `bytes` cannot exist here (call before allocating host memory). */
  checkStorageSize(bytes: number, label: string): void {
    const error = storageLimitError(bytes, this.maxBufferBytes, label);
    if (error) throw error;
  }

  createStorage(bytes: number, label: string): GPUBuffer {
    this.checkAlive(label);
    this.checkStorageSize(bytes, label);
    const buffer = this.pool.acquire(bytes, STORAGE_USAGE, label);
    this.scopes.at(-1)?.add(buffer);
    return buffer;
  }

  /** Storage buffers created inside each open `guarded` call and not released yet (innermost last). */
  private readonly scopes: Set<GPUBuffer>[] = [];

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

  /**
   * Buffers the caller owns (`fromGPUBuffer`): tensors may use them, but freeing such a tensor
   * never pools or destroys the buffer.
   */
  private readonly adopted = new WeakSet<GPUBuffer>();

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
    this.pool.release(buffer, STORAGE_USAGE, this.batched > 0);
  }

  upload(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.checkAlive('upload');
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  dispatch(spec: DispatchSpec): void {
    const label = `${spec.shader}.${spec.entry}`;
    this.checkAlive(label);
    const [x, y = 1, z = 1] = spec.workgroups;
    if (x > MAX_GROUPS || y > MAX_GROUPS || z > MAX_GROUPS) {
      throw new LimitError(`${label}: dispatch (${x}, ${y}, ${z}) exceeds ${MAX_GROUPS} workgroups per dimension`);
    }
    const info: ShaderModuleInfo = shaders[spec.shader];
    const pipeline = this.pipelines.get(spec.shader, info, spec.entry, spec.overrides ?? {});
    const layout = this.pipelines.layout(spec.shader, info, spec.entry);
    const bindings = info.entryPoints[spec.entry]!.bindings;
    // Check every binding before acquiring anything, so a launcher bug cannot leak a uniform buffer.
    for (const b of bindings) {
      if (b.kind === 'uniform') {
        const want = info.uniformSizes[b.name];
        if (!spec.uniform || spec.uniform.byteLength !== want) {
          throw new RobustlensError(`${label}: uniform '${b.name}' needs ${want} bytes, launcher gave ${spec.uniform?.byteLength}`);
        }
      } else if (!spec.buffers[b.binding]) {
        throw new RobustlensError(`${label}: no buffer for binding ${b.binding} (${b.name})`);
      }
    }
    const entries: GPUBindGroupEntry[] = [];
    const uniforms: GPUBuffer[] = [];
    for (const b of bindings) {
      if (b.kind === 'uniform') {
        const want = info.uniformSizes[b.name]!;
        const u = this.pool.acquire(want, UNIFORM_USAGE, `${label}.uniform`);
        this.device.queue.writeBuffer(u, 0, spec.uniform!);
        uniforms.push(u);
        entries.push({ binding: b.binding, resource: { buffer: u, size: want } });
      } else {
        entries.push({ binding: b.binding, resource: { buffer: spec.buffers[b.binding]! } });
      }
    }
    const bindGroup = this.device.createBindGroup({ layout, entries });
    const pass = this.beginPass(label);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiling) this.endPass();
    this.batched++;
    this.dispatches++;
    this.lastLabel = label;
    for (const u of uniforms) this.pool.release(u, UNIFORM_USAGE, true);
    if (this.batched >= this.maxBatch) this.flush();
  }

  private beginPass(label: string): GPUComputePassEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    if (this.profiling) {
      // 512 timestamps = 256 passes per query set; resolve and start over when it is full.
      if (this.queryLabels.length >= 256) this.flush();
      this.encoder ??= this.device.createCommandEncoder();
      this.querySet ??= this.device.createQuerySet({ type: 'timestamp', count: 512 });
      this.queryLabels.push(label);
      const q = this.queryLabels.length - 1;
      this.pass = this.encoder.beginComputePass({
        timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * q, endOfPassWriteIndex: 2 * q + 1 },
      });
      return this.pass;
    }
    this.pass ??= this.encoder.beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Encode a buffer-to-buffer copy in queue order with the dispatches. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkAlive('copy');
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.batched++;
  }

  /** Submit everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.profiling && this.queryLabels.length > 0) this.resolveQueries(this.encoder);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.batched = 0;
    this.submits++;
    this.inFlight++;
    this.device.queue.onSubmittedWorkDone().then(
      () => this.inFlight--,
      () => this.inFlight--,
    );
    this.pool.onSubmitted();
  }

  /** Read `bytes` from the start of `buffer`; submits pending work first. */
  async read(buffer: GPUBuffer, bytes: number, label: string): Promise<ArrayBuffer> {
    this.checkAlive(label);
    this.endPass();
    const staging = this.pool.acquire(bytes, READBACK_USAGE, 'readback');
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(buffer, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    this.flush();
    try {
      await staging.mapAsync(MapModeRead, 0, staging.size);
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
    while (this.inFlight > maxInFlight && !this.lost) await this.device.queue.onSubmittedWorkDone();
  }

  /** Wait until the queue is idle. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkAlive('sync');
    this.checkUncaptured('sync');
  }

  private checkUncaptured(label: string): void {
    if (this.uncaptured !== null) {
      const msg = this.uncaptured;
      this.uncaptured = null;
      throw new RobustlensError(`${label}: the GPU reported an error: ${msg}`);
    }
  }

  // ---- profiling -------------------------------------------------------------------------

  get canProfile(): boolean {
    return this.device.features.has('timestamp-query');
  }

  /** Start collecting per-kernel GPU times (one compute pass per dispatch while on). */
  startProfile(): void {
    if (!this.canProfile) throw new RobustlensError(`profiling: this adapter has no 'timestamp-query' feature`);
    this.flush();
    this.profiling = true;
    this.profileTotals.clear();
  }

  /** Stop profiling and return total GPU milliseconds per kernel, largest first. */
  async stopProfile(): Promise<{ kernel: string; ms: number; count: number }[]> {
    this.flush();
    this.profiling = false;
    await Promise.all(this.profileReads);
    this.profileReads = [];
    return [...this.profileTotals.entries()]
      .map(([kernel, v]) => ({ kernel, ...v }))
      .sort((a, b) => b.ms - a.ms);
  }

  private resolveQueries(encoder: GPUCommandEncoder): void {
    const labels = this.queryLabels;
    this.queryLabels = [];
    const bytes = labels.length * 16;
    const resolve = this.device.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: bytes, usage: READBACK_USAGE });
    encoder.resolveQuerySet(this.querySet!, 0, labels.length * 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, staging, 0, bytes);
    const read = (async () => {
      await this.device.queue.onSubmittedWorkDone();
      await staging.mapAsync(MapModeRead);
      const t = new BigUint64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      staging.destroy();
      resolve.destroy();
      labels.forEach((label, i) => {
        const ms = Number(t[2 * i + 1]! - t[2 * i]!) / 1e6;
        const e = this.profileTotals.get(label) ?? { ms: 0, count: 0 };
        e.ms += ms;
        e.count++;
        this.profileTotals.set(label, e);
      });
    })();
    this.profileReads.push(read);
  }

  destroy(): void {
    this.flush();
    this.pool.trim();
    this.querySet?.destroy();
    this.device.destroy();
  }
}
