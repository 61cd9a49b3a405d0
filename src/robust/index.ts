/**
 * Attacks, robust evaluation and adversarial-training recipes (methods.md §2–3).
 *
 *   const adv = await robust.pgd(model, x, y, { eps: 0.1, steps: 20, alpha: 0.01, seed: 1 });
 *   const ev = await robust.robustEvaluate(model, testBatches, { type: 'pgd', eps: 0.1, steps: 20, alpha: 0.01 });
 *   const run = await robust.trainRobust(model, sgd, { train, test }, { kind: 'trades', beta: 6, attack: { eps: 0.1, steps: 10, alpha: 0.025 } }, { epochs: 30 });
 */
export * from './attacks.js';
export * from './objectives.js';
export { linfStep, l2Step } from './step.js';
export * from './evaluate.js';
export * from './recipes.js';
export * from './temporal-ensembling.js';
export * from './label-noise.js';
export { pgdAtStep, fastFgsmAttack } from './pgd-at.js';
export { tradesStep, tradesLoss } from './trades.js';
export { adversarialStep, type AdversarialBatch, type AdversarialStepParts } from './adversarial-step.js';
