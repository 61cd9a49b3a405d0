/**
 * The fused batch-normalisation family (shaders/norm.wgsl). x is NCHW, flattened to N runs of C
 * planes of HW values; statistics are per channel over its M = N·HW values. The op in
 * src/ops/norm.ts checks shapes and arguments and records the gradient; backends only compute.
 */
import type { NormGeom } from '../types.js';

export interface NormOps<S> {
  /**
   * Batch mean and biased variance per channel, [C] each; the running buffers are updated in place:
   * r_mean ← (1 − momentum)·r_mean + momentum·mean, r_var ← (1 − momentum)·r_var + momentum·var·M/(M − 1).
   */
  batchNormStats(x: S, runningMean: S, runningVar: S, g: NormGeom, momentum: number): [mean: S, variance: S];
  /** y = (x − mean[c]) / √(variance[c] + eps) · gamma[c] + beta[c]. */
  batchNormForward(x: S, mean: S, variance: S, gamma: S, beta: S, g: NormGeom, eps: number): S;
  /** Per channel: Σ gy (the gradient of beta) and Σ gy·x̂ (the gradient of gamma), x̂ = (x − mean)/√(variance + eps). */
  batchNormGradSums(x: S, gy: S, mean: S, variance: S, g: NormGeom, eps: number): [sumGy: S, sumGyXhat: S];
  /** The input gradient with batch statistics: γ·inv·(gy − Σgy/M − x̂·Σ(gy·x̂)/M), inv = 1/√(variance + eps). */
  batchNormInputGrad(x: S, gy: S, mean: S, variance: S, gamma: S, sumGy: S, sumGyXhat: S, g: NormGeom, eps: number): S;
  /** The input gradient with constant (running) statistics: γ·gy/√(variance + eps). */
  batchNormInputGradEval(gy: S, variance: S, gamma: S, g: NormGeom, eps: number): S;
}
