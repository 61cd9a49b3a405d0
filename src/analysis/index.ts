// The analysis namespace: logit statistics, distillation, simplicity metrics (CKA is added beside them).
export * as logits from './logits.js';
export * as distillation from './distill.js';
export * as simplicity from './simplicity.js';
