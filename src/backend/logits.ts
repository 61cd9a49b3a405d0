/**
 * The logit-statistics kernel family (methods.md §4). One row of a [rows, classes] logit matrix
 * gives LOGIT_STATS.length values; see shaders/logits.wgsl for the definitions and tie rules.
 */

export interface LogitOps<S> {
  /**
   * Per-row statistics of contiguous logits z [rows, classes] (float32), with optional int32 labels
   * [rows] (in range; checked by the caller) for the true-class margin. Returns [rows, 7] float32.
   */
  logitStats(z: S, labels: S | null, rows: number, classes: number): S;
}
