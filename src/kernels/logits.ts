import { grid1d } from '../gpu/limits.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';

const WG = 64;

/** One invocation per row; see shaders/logits.wgsl. Without labels a 4-byte placeholder is bound. */
export function logitStats(rt: GpuRuntime, z: GPUBuffer, labels: GPUBuffer | null, rows: number, classes: number): GPUBuffer {
  const out = rt.createStorage(rows * 7 * 4, 'logitStats');
  const lab = labels ?? rt.createStorage(4, 'logitStats.nolabels');
  rt.dispatch({
    shader: 'logits', entry: 'logit_stats', overrides: { WG },
    uniforms: { rows, classes, has_labels: labels ? 1 : 0 }, buffers: { z, labels: lab, out }, workgroups: grid1d(rows, WG),
  });
  if (!labels) rt.releaseStorage(lab);
  return out;
}

export const logitKernels = (rt: GpuRuntime) => bindRuntime(rt, { logitStats });
