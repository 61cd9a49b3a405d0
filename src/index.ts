/**
 * robustlens: a WebGPU numerics engine with its own reverse-mode autograd, for studying
 * adversarially robust networks in Node, Deno and Chrome.
 *
 *   import * as rl from 'robustlens';          // browser, Deno
 *   import * as rl from 'robustlens/node';     // Node (Dawn)
 *   await rl.init();
 *   const { value, grads } = rl.valueAndGrad(() => rl.sum(rl.square(w)), [w]);
 */
export { init, shutdown, type Engine, type InitOptions } from './init.js';
export { Tensor } from './tensor.js';
export { tidy, keep, memory, getBackend, setBackend, setNumericsCheck, cpu } from './engine.js';
export { valueAndGrad, grad, noGrad } from './autograd/tape.js';
export * from './ops/index.js';
export { Rng } from './random.js';
export * as analysis from './analysis/index.js';
export * as report from './report/heatmap.js';
export { fromGPUBuffer, gpuBuffer, flush } from './interop.js';
export { autotune, exportTuning, importTuning, DEFAULT_TUNING_SHAPES, type TuningFile, type TuningRecord } from './tuning.js';
export * from './errors.js';
export * as data from './data/index.js';
export type { Backend } from './backend/types.js';
export type { DType } from './types.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as robust from './robust/index.js';
export * as train from './train/index.js';
