/**
 * Sharing GPU memory with an application that owns its WebGPU device (design.md: "Embeddable").
 *
 *   const device = await adapter.requestDevice();
 *   await init({ device });                               // the engine adopts the app's device
 *   const x = fromGPUBuffer(myBuffer, [64, 10]);          // the app's buffer as a tensor: no copy
 *   const y = softmax(x);
 *   const out = gpuBuffer(y);                             // the engine's buffer, to bind in the app's passes
 *
 * Ordering: the engine records work into its own command encoder and submits it lazily. Both helpers
 * below submit the engine's pending work first, so commands the app submits afterwards see the
 * results (one queue executes in submission order). Call `flush()` before the app writes into a
 * buffer that engine work still pending may read.
 */
import { type DType, sizeOf } from './types.js';
import { engine } from './engine.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from './errors.js';
import { BufferUsage } from './gpu/flags.js';
import type { GpuRuntime } from './gpu/runtime.js';
import { checkShape, wrap } from './ops/util.js';
import type { Tensor } from './tensor.js';

function runtime(op: string): GpuRuntime {
  const rt = engine.runtime;
  if (!rt || engine.backend.kind !== 'webgpu') {
    throw new ValueError(`${op}: the WebGPU backend is not active; call init({ device }) with the device that owns the buffers first`);
  }
  return rt;
}

/**
 * A tensor over `buffer`, a GPUBuffer the caller created on the engine's device, read as `shape`
 * (row-major, float32 or int32 from offset 0). No copy is made: kernels read the buffer directly.
 * The buffer needs STORAGE and COPY_SRC usage (COPY_SRC lets `data()` read it back). The caller keeps
 * ownership: disposing the tensor never destroys or reuses the buffer; destroying the buffer while the
 * tensor or results still pending on it are in use is the caller's error. Ops return new tensors in
 * engine buffers; optimizers that update parameters in place would write into it.
 */
export function fromGPUBuffer(buffer: GPUBuffer, shape: readonly number[], opts: { dtype?: DType } = {}): Tensor {
  const op = 'fromGPUBuffer';
  const rt = runtime(op);
  checkShape(op, shape);
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32') throw new DTypeError(`${op}: dtype '${dtype}' is not supported; use 'float32' or 'int32'`);
  const need = BufferUsage.STORAGE | BufferUsage.COPY_SRC;
  if ((buffer.usage & need) !== need) {
    throw new ValueError(
      `${op}: the buffer's usage (0x${buffer.usage.toString(16)}) lacks STORAGE and/or COPY_SRC; ` +
        `create it with usage GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC (| COPY_DST to write into it)`,
    );
  }
  const bytes = sizeOf(shape) * 4;
  if (buffer.size < bytes) {
    throw new ShapeError(`${op}: shape ${fmtShape(shape)} needs ${bytes} bytes of ${dtype} but the buffer has ${buffer.size}; pass the shape the buffer holds`);
  }
  if (buffer.mapState !== 'unmapped') {
    throw new ValueError(`${op}: the buffer is ${buffer.mapState}; unmap() it before handing it to the engine`);
  }
  rt.adopt(buffer, op);
  return wrap(shape, dtype, engine.backend, buffer);
}

/**
 * The GPUBuffer behind a WebGPU tensor, for binding in the caller's own passes, after submitting the
 * engine's pending work. The buffer belongs to the tensor: valid until it is disposed, and possibly
 * larger than `t.size * 4` bytes (only the first `t.size` elements are the tensor's).
 */
export function gpuBuffer(t: Tensor): GPUBuffer {
  const op = 'gpuBuffer';
  if (t.backend.kind !== 'webgpu') throw new ValueError(`${op}: tensor #${t.id} ${fmtShape(t.shape)} lives on the ${t.backend.kind} backend, not WebGPU`);
  const buffer = t.storage<GPUBuffer>(op);
  engine.runtime?.flush();
  return buffer;
}

/** Submit the engine's recorded GPU work now (it is otherwise submitted at the next readback). */
export function flush(): void {
  engine.runtime?.flush();
}
