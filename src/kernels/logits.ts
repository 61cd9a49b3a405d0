import { grid1d, type GpuRuntime } from '../gpu/runtime.js';
import { shaders } from '../gpu/shaders.generated.js';
import { UniformWriter } from './uniform.js';

const WG = 64;

/** One invocation per row; see shaders/logits.wgsl. Without labels a 4-byte placeholder is bound. */
export function logitStats(rt: GpuRuntime, z: GPUBuffer, labels: GPUBuffer | null, rows: number, classes: number): GPUBuffer {
  const out = rt.createStorage(rows * 7 * 4, 'logitStats');
  const lab = labels ?? rt.createStorage(4, 'logitStats.nolabels');
  rt.dispatch({
    shader: 'logits', entry: 'logit_stats', overrides: { WG },
    uniform: new UniformWriter(shaders.logits.uniformSizes.u).u(rows).u(classes).u(labels ? 1 : 0).u(0).buffer,
    buffers: { 1: z, 2: lab, 3: out }, workgroups: grid1d(rows, WG),
  });
  if (!labels) rt.releaseStorage(lab);
  return out;
}
