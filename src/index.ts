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
export { tidy, keep, memory, getBackend, setBackend, cpu } from './engine.js';
export { valueAndGrad, grad, noGrad } from './autograd/tape.js';
export * from './ops/index.js';
export { Rng } from './random.js';
export * from './gpu/errors.js';
export type { Backend, DType } from './backend/types.js';
export * as analysis from './analysis/index.js';
