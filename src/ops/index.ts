export * from './creation.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './layout.js';
export { broadcastTo } from './broadcast.js';
export * from './matmul.js';
export * from './softmax.js';
export * from './conv.js'; export * from './pool.js'; export * from './norm.js'; export * from './dropout.js';
export { softmaxCrossEntropy, labelHits } from './logits.js';
