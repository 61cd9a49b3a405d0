export type { Optimizer } from './optimizer.js';
export { SGD, type SgdOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export * from './schedules.js';
export { clipGradNorm, globalNorm } from './clip.js';
export type { ParamList } from './params.js';
