/**
 * The logit kernel families: per-row statistics (methods.md §4; one row of a [rows, classes] logit
 * matrix gives LOGIT_STATS.length values, see shaders/logits.wgsl for the definitions and tie rules)
 * and the fused softmax cross-entropy (shaders/loss.wgsl).
 */

export interface LogitOps<S> {
  /**
   * Per-row statistics of contiguous logits z [rows, classes] (float32), with optional int32 labels
   * [rows] (in range; checked by the caller) for the true-class margin. Returns [rows, 7] float32.
   */
  logitStats(z: S, labels: S | null, rows: number, classes: number): S;
  /**
   * Per-row cross-entropy [rows] of contiguous logits z against targets t (both [rows, classes]):
   * lse·Σt − Σ t·z, lse = log Σ exp(z − s) + s with s the row max, or 0 where it is ±Inf.
   */
  softmaxCrossEntropy(z: S, t: S, rows: number, classes: number): S;
  /**
   * 1 where row r's int32 label is its prediction, else 0 ([rows] float32): with `argmax`, the label
   * is the row's first maximum (its first NaN where it has one, as argmax); otherwise the label's
   * logit equals the row's maximum (ties count, a row holding NaN never). Labels outside [0,
   * classes) are never hits.
   */
  labelHits(z: S, labels: S, rows: number, classes: number, argmax: boolean): S;
  /** Its gradient with respect to z for row gradients gy [rows]: gy · (softmax(z)·Σt − t). */
  softmaxCrossEntropyBackward(z: S, t: S, gy: S, rows: number, classes: number): S;
}
