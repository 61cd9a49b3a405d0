/**
 * Index arithmetic is the hidden cost of strided kernels on software adapters: every `/` and `%`
 * by a runtime value runs lane by lane. These helpers shrink the problem on the host: axes of size
 * 1 are dropped and neighbouring axes merge where every operand is contiguous across them, so most
 * broadcasts become rank <= 3 and run on a 3-D grid with no division at all.
 */
export interface Coalesced {
  shape: number[];
  /** One stride list per operand, aligned with `shape`. */
  strides: number[][];
}

export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Coalesced {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  shape.forEach((n, d) => {
    if (n === 1) return;
    const k = outShape.length - 1;
    if (k >= 0 && strides.every((s, o) => outStrides[o]![k] === s[d]! * n)) {
      outShape[k] = outShape[k]! * n;
      strides.forEach((s, o) => (outStrides[o]![k] = s[d]!));
    } else {
      outShape.push(n);
      strides.forEach((s, o) => outStrides[o]!.push(s[d]!));
    }
  });
  return { shape: outShape, strides: outStrides };
}

/** Pad a coalesced problem to exactly rank 3 (leading axes of size 1), or null if it is deeper or
 *  too large for a (⌈d2/wg⌉, d1, d0) dispatch. */
export function asGrid3(c: Coalesced, wg: number): Coalesced | null {
  if (c.shape.length > 3) return null;
  const pad = 3 - c.shape.length;
  const shape = [...Array<number>(pad).fill(1), ...c.shape];
  if (shape[0]! > 65535 || shape[1]! > 65535 || Math.ceil(shape[2]! / wg) > 65535) return null;
  return { shape, strides: c.strides.map((s) => [...Array<number>(pad).fill(0), ...s]) };
}
