import type { DType } from '../types.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

// Data in and out of GPU storage: f32 (and i32 for indices) in storage buffers.

/** Runtime, adapter and driver, for `Backend.describe`. */
export function describe(rt: GpuRuntime): string {
  const a = rt.adapter;
  return `${a.runtime} · WebGPU ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ')}`;
}

export function fromData(rt: GpuRuntime, data: ArrayLike<number>, dtype: DType): GPUBuffer {
  rt.checkStorageSize(data.length * 4, 'fromData');
  const arr = dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
  return rt.createFilled(arr, 'fromData');
}

export function fill(rt: GpuRuntime, size: number, value: number, dtype: DType): GPUBuffer {
  // Check the limit before allocating the host copy (a too-large tensor must not take 16 GB of RAM).
  rt.checkStorageSize(size * 4, 'fill');
  const arr = dtype === 'int32' ? new Int32Array(size).fill(value) : new Float32Array(size).fill(value);
  return rt.createFilled(arr, 'fill');
}

export async function read(rt: GpuRuntime, s: GPUBuffer, size: number, dtype: DType): Promise<Float32Array | Int32Array> {
  const bytes = await rt.read(s, size * 4, 'read');
  return dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
}

export function free(rt: GpuRuntime, s: GPUBuffer): void {
  rt.releaseStorage(s);
}

export const transferKernels = (rt: GpuRuntime) => bindRuntime(rt, { describe, fromData, fill, read, free });
