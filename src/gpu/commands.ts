import { entryBindings } from './bindings.js';
import { DeviceState } from './device-state.js';
import { checkGrid } from './limits.js';
import type { Overrides } from './pipelines.js';
import { UNIFORM_USAGE } from './pool.js';
import { TimestampProfiler } from './profiler.js';
import type { ShaderModuleInfo } from './shader-types.js';
import { shaders, type ShaderName } from './shaders.generated.js';
import type { UniformValue } from './uniforms.js';

type Shaders = typeof shaders;
/** The entry points of shader module S (a union over the modules when S is one). */
export type EntryName<S extends ShaderName> = S extends ShaderName ? keyof Shaders[S]['entryPoints'] & string : never;
type BindingName<S extends ShaderName> = S extends ShaderName
  ? { [E in keyof Shaders[S]['entryPoints']]: Shaders[S]['entryPoints'][E] extends { bindings: readonly (infer B)[] } ? (B extends { name: infer N; kind: 'read-only-storage' | 'storage' } ? N & string : never) : never }[keyof Shaders[S]['entryPoints']]
  : never;
type FieldName<S extends ShaderName> = S extends ShaderName
  ? { [U in keyof Shaders[S]['uniforms']]: Shaders[S]['uniforms'][U] extends { fields: readonly (infer F)[] } ? (F extends { name: infer N } ? N & string : never) : never }[keyof Shaders[S]['uniforms']]
  : never;

export interface DispatchSpec<S extends ShaderName = ShaderName> {
  shader: S;
  entry: EntryName<S>;
  overrides?: Overrides;
  /**
   * The fields of the entry point's uniform struct by their WGSL names (`_` padding may be left
   * out); absent when it has no uniform. Checked at dispatch: a missing, unknown or ill-typed field
   * fails naming the kernel and the field.
   */
  uniforms?: Readonly<Partial<Record<FieldName<S>, UniformValue>>>;
  /** Storage buffers by the WGSL names of the entry point's bindings; exactly those it uses. */
  buffers: Readonly<Partial<Record<BindingName<S>, GPUBuffer>>>;
  workgroups: readonly [number, number?, number?];
}

/**
 * Command batching (the second layer of GpuRuntime): dispatches are recorded into one open
 * compute pass of one command encoder, which is submitted when a result is read back, on
 * `flush()`, or after `maxBatch` dispatches. While profiling, each dispatch gets its own
 * timestamped pass instead.
 */
export class CommandBatch extends DeviceState {
  maxBatch = 512;
  submits = 0;
  dispatches = 0;
  protected readonly profiler = new TimestampProfiler(this.device);
  protected encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Dispatches and copies recorded since the last submit. */
  protected batched = 0;
  /** Submitted command buffers the GPU has not finished yet. */
  protected inFlight = 0;

  dispatch<S extends ShaderName>(spec: DispatchSpec<S>): void {
    const info: ShaderModuleInfo = shaders[spec.shader];
    const bindings = entryBindings(spec.shader, info, spec.entry);
    const label = bindings.label;
    this.checkAlive(label);
    const [x, y = 1, z = 1] = spec.workgroups;
    checkGrid(label, x, y, z);
    // Everything is checked before anything is acquired, so a launcher bug cannot leak a buffer.
    const buffers = spec.buffers as Readonly<Record<string, GPUBuffer | undefined>>;
    const bytes = bindings.check(buffers, spec.uniforms as Readonly<Record<string, UniformValue>> | undefined);
    const pipeline = this.pipelines.get(spec.shader, info, spec.entry, spec.overrides ?? {});
    const layout = this.pipelines.layout(spec.shader, info, spec.entry);
    let uniform: GPUBuffer | null = null;
    if (bytes) {
      uniform = this.pool.acquire(bytes.byteLength, UNIFORM_USAGE, `${label}.uniform`);
      this.device.queue.writeBuffer(uniform, 0, bytes);
    }
    const bindGroup = this.device.createBindGroup({ layout, entries: bindings.entries(buffers, uniform) });
    const pass = this.beginPass(label);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler.active) this.endPass();
    this.batched++;
    this.dispatches++;
    this.lastLabel = label;
    if (uniform) this.pool.release(uniform, UNIFORM_USAGE, true);
    if (this.batched >= this.maxBatch) this.flush();
  }

  private beginPass(label: string): GPUComputePassEncoder {
    if (this.profiler.active) {
      if (this.profiler.full) this.flush();
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.profiler.beginPass(this.encoder, label);
      return this.pass;
    }
    this.encoder ??= this.device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass();
    return this.pass;
  }

  protected endPass(): void {
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
    if (this.profiler.active) this.profiler.resolve(this.encoder);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.batched = 0;
    this.submits++;
    this.inFlight++;
    // Counted down when the GPU finishes (for throttle); nobody awaits this, so it is no engine wait.
    this.device.queue.onSubmittedWorkDone().then(
      () => this.inFlight--,
      () => this.inFlight--,
    );
    this.pool.onSubmitted();
  }
}
