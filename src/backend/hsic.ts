/**
 * The HSIC / CKA kernel family (methods.md §1). Storage-level primitives that the estimators in
 * src/analysis combine; the few final scalars are always added and divided on the host in float64.
 * All matrices are row-major; Gram matrices are n×n.
 */
export interface HsicOps<S> {
  /**
   * Subtract the column means (a two-level tree of partial sums) from x [n, p]. Returns [n, ld] with
   * ld = padTo4(p): the padding columns are 0, so the Gram kernel can read vec4s.
   */
  centerColumns(x: S, n: number, p: number): S;
  /** K = X·Xᵀ for X [n, ld] (ld a multiple of 4): the exactly symmetric n×n Gram matrix. */
  gram(x: S, n: number, ld: number): S;
  /** D_ij = max(K_ii + K_jj − 2·K_ij, 0), diagonal exactly 0 (§1.1, §1.9.6). */
  sqDistFromGram(k: S, n: number): S;
  /**
   * K = exp(−D / (2·t²·m)) elementwise over n×n, with the bandwidth m read from the one-element
   * `median` (SelectOps.median of D: no readback). All zeros when m ≤ 0: no bandwidth, a dead layer.
   */
  rbfFromSqDist(d: S, n: number, median: S, threshold: number): S;
  /** U-centring K → K^U (§1.3 steps 1–4); <K^U, L^U>_F / (n(n−3)) is HSIC_1. Needs n ≥ 4. */
  uCenter(k: S, n: number): S;
  /** Double centring K → H·K·H by Kornblith's stable column-mean form (§1.2). */
  doubleCenter(k: S, n: number): S;
  /**
   * Partial sums of the inner products of the rows of a [ra, len] and b [rb, len]: element
   * (i·rb + j)·chunks + c holds the part of <a_i, b_j> from chunk c. The host adds the chunks in f64.
   */
  dotPartials(a: S, ra: number, b: S, rb: number, len: number): { partials: S; chunks: number };
}
