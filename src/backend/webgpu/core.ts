import type { CoreOps } from '../types.js';
import type { DType } from '../../types.js';
import type { GpuRuntime } from '../../gpu/runtime.js';
import * as copy from '../../kernels/copy.js';
import * as ew from '../../kernels/elementwise.js';
import * as red from '../../kernels/reduce.js';
import { matmul } from '../../kernels/matmul.js';

/** The core ops on the GPU: f32 (and i32 for indices) in storage buffers, one launcher each. */
export function webgpuCore(rt: GpuRuntime): CoreOps<GPUBuffer> {
  return {
    kind: 'webgpu',
    describe() {
      const a = rt.adapter;
      return `${a.runtime} · WebGPU ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ')}`;
    },
    fromData(data, dtype: DType) {
      rt.checkStorageSize(data.length * 4, 'fromData');
      const arr = dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
      const buf = rt.createStorage(arr.byteLength, 'fromData');
      rt.upload(buf, arr);
      return buf;
    },
    fill(size, value, dtype) {
      // Check the limit before allocating the host copy (a too-large tensor must not take 16 GB of RAM).
      rt.checkStorageSize(size * 4, 'fill');
      const arr = dtype === 'int32' ? new Int32Array(size).fill(value) : new Float32Array(size).fill(value);
      const buf = rt.createStorage(arr.byteLength, 'fill');
      rt.upload(buf, arr);
      return buf;
    },
    async read(s, size, dtype) {
      const bytes = await rt.read(s, size * 4, 'read');
      return dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
    },
    free(s) {
      rt.releaseStorage(s);
    },
    unary: (op, x, size, params) => ew.unary(rt, op, x, size, params),
    binary: (op, a, av, b, bv, shape) => ew.binary(rt, op, a, av, b, bv, shape),
    where: (c, cv, a, av, b, bv, shape) => ew.where(rt, c, cv, a, av, b, bv, shape),
    reduce: (op, x, kept, r) => red.reduce(rt, op, x, kept, r),
    argmax: (x, kept, r) => red.argmax(rt, x, kept, r),
    matmul: (a, av, b, bv, batch, m, k, n) => matmul(rt, a, av, b, bv, batch, m, k, n),
    readView: (x, v) => copy.readView(rt, x, v),
    writeView: (dst, v, src) => copy.writeView(rt, dst, v, src),
    gather: (x, idx, outer, axisLen, inner, count) => copy.gather(rt, x, idx, outer, axisLen, inner, count),
    indexAdd: (g, idx, outer, axisLen, inner, count) => copy.indexAdd(rt, g, idx, outer, axisLen, inner, count),
  };
}
