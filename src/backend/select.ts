/**
 * The selection family: order statistics that stay in backend storage, so a later kernel can read
 * them without a readback (the RBF bandwidth of methods.md §1.1).
 */
export interface SelectOps<S> {
  /**
   * numpy's median of the first `size` values of x: every value counts (the zero diagonal of a
   * distance matrix included), and an even count gives the mean of the two middle values. A new
   * one-element storage. `size` ≥ 1.
   */
  median(x: S, size: number): S;
}
