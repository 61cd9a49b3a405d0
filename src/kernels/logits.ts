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

/** 1 where a row's label is its prediction, else 0; see shaders/logits.wgsl (label_hits). */
export function labelHits(rt: GpuRuntime, z: GPUBuffer, labels: GPUBuffer, rows: number, classes: number, argmax: boolean): GPUBuffer {
  const out = rt.createStorage(rows * 4, 'labelHits');
  rt.dispatch({
    shader: 'logits', entry: 'label_hits', overrides: { WG, ARGMAX: argmax ? 1 : 0 },
    uniforms: { rows, classes, has_labels: 1 }, buffers: { z, labels, out }, workgroups: grid1d(rows, WG),
  });
  return out;
}

/** Per-row softmax cross-entropy [rows] against targets [rows, classes]; see shaders/loss.wgsl. */
export function softmaxCrossEntropy(rt: GpuRuntime, z: GPUBuffer, t: GPUBuffer, rows: number, classes: number): GPUBuffer {
  const out = rt.createStorage(rows * 4, 'softmaxCrossEntropy');
  rt.dispatch({
    shader: 'loss', entry: 'softmax_cross_entropy', overrides: { WG },
    uniforms: { rows, classes }, buffers: { z, t, out }, workgroups: grid1d(rows, WG),
  });
  return out;
}

/** The gradient with respect to z [rows, classes] for per-row output gradients gy [rows]. */
export function softmaxCrossEntropyBackward(rt: GpuRuntime, z: GPUBuffer, t: GPUBuffer, gy: GPUBuffer, rows: number, classes: number): GPUBuffer {
  const out = rt.createStorage(rows * classes * 4, 'softmaxCrossEntropyBackward');
  rt.dispatch({
    shader: 'loss', entry: 'softmax_cross_entropy_grad', overrides: { WG },
    uniforms: { rows, classes }, buffers: { z, t, gy, out }, workgroups: grid1d(rows, WG),
  });
  return out;
}

export const logitKernels = (rt: GpuRuntime) => bindRuntime(rt, { logitStats, labelHits, softmaxCrossEntropy, softmaxCrossEntropyBackward });
