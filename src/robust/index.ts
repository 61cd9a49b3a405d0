/** Attacks, robust evaluation and adversarial-training recipes (methods.md §2–3). */
export * from './attacks.js';
export * from './objectives.js';
export { linfStep, l2Step } from './step.js';
export * from './evaluate.js';
export * from './recipes.js';
