/**
 * The attacks' public face (methods.md §2): PGD (L∞ or L2, random starts, restarts, CE or CW,
 * targeted or not) and FGSM, with their options and host-side checks. The code lives in
 * pgd-options.ts, random-start.ts, pgd.ts and fgsm.ts.
 */
export * from './pgd-options.js';
export * from './pgd.js';
export * from './fgsm.js';
