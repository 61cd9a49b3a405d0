import type { MatView } from '../backend/types.js';
import { LimitError } from '../gpu/errors.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { shaders } from './shaders.generated.js';
import { UniformWriter } from './uniform.js';

const TILE = 4; // each invocation computes a TILE×TILE block of C
const WG_X = 8;
const WG_Y = 8;

export function matmul(rt: GpuRuntime, a: GPUBuffer, av: MatView, b: GPUBuffer, bv: MatView, batch: number, m: number, k: number, n: number): GPUBuffer {
  if (batch > 65535) throw new LimitError(`matmul: batch ${batch} exceeds 65535; reshape into fewer, larger matrices`);
  const out = rt.createStorage(batch * m * n * 4, 'matmul');
  const u = new UniformWriter(shaders.matmul.uniformSizes.p)
    .u(m).u(n).u(k).u(batch)
    .u(av.offset).u(av.sb).u(av.si).u(av.sj)
    .u(bv.offset).u(bv.sb).u(bv.si).u(bv.sj);
  rt.dispatch({
    shader: 'matmul', entry: 'matmul', overrides: { WG_X, WG_Y }, uniform: u.buffer,
    buffers: { 1: a, 2: b, 3: out },
    workgroups: [Math.ceil(n / (TILE * WG_X)), Math.ceil(m / (TILE * WG_Y)), batch],
  });
  return out;
}
