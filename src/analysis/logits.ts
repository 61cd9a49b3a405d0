/**
 * Logit statistics (methods.md §4, paper (d)): the per-example statistics on the GPU and their
 * tables (logit-stats.ts), summaries and histograms (logit-summary.ts), and the per-example
 * comparison of two models by ranks (ranks.ts), in JS float64 on the host, where the numbers are few.
 */
export * from './logit-stats.js';
export * from './logit-summary.js';
export * from './ranks.js';
