/**
 * Attacks, robust evaluation and adversarial-training recipes (methods.md §2–3).
 *
 *   const adv = await robust.pgd(model, x, y, { eps: 0.1, steps: 20, alpha: 0.01, seed: 1 });
 *   const ev = await robust.robustEvaluate(model, testBatches, { type: 'pgd', eps: 0.1, steps: 20, alpha: 0.01 });
 *   const aa = await robust.autoAttack(model, x, y, { eps: 0.3, norm: 'linf' });
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
export { dlrAscent, dlrTargetedAscent, logitMargin, topLogits } from './dlr.js';
export { apgdCheckpoints, apgdSchedule, type ApgdSchedule } from './apgd-schedule.js';
export { apgdRun, type ApgdRunSettings, type ApgdRunTensors } from './apgd-run.js';
export { disposeGeometry, stepGeometry, apgdStep, type StepGeometry } from './apgd-step.js';
export { apgd, apgdObjective, apgdStart, type ApgdLoss, type ApgdOptions } from './apgd.js';
export type { AttackOutcome, AttackProgress, BatchOptions } from './prepare.js';
export { square, squareP, squareSide, type SquareOptions, type SquareOutcome } from './square.js';
export * from './autoattack.js';
export * from './masking.js';
export * from './robustness.js';
