import { noGrad } from '../autograd/tape.js';
import { tidy } from '../engine.js';
import { ShapeError, fmtShape } from '../errors.js';
import { full } from '../ops/creation.js';
import { add, affine, div, mul, neg, sub, where } from '../ops/elementwise.js';
import { gather } from '../ops/layout.js';
import { argmax, max, sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import { identity } from './rows.js';

/**
 * The Difference of Logits Ratio losses of AutoAttack (Croce & Hein 2020; methods.md §2.5), as
 * objectives an attacker ascends: logits z [B, C] → [B]. π sorts a row of z in decreasing order.
 *
 *   DLR(z, y)      = −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3 + 1e-12)
 *   DLR-T(z, y, t) = −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12)
 *
 * Both are unchanged when the logits are shifted or scaled by a positive factor, which is what makes
 * them see through masking by logit scale. Which positions hold π1, π3, … is found without gradient
 * (max-and-remove, one position per round, the first maximum on ties, so ties keep their
 * multiplicity as in a sort); each loss is then a ratio of two fixed linear forms of z, whose
 * gradient is the reference's (sort's backward sends the gradient to the chosen positions).
 */

/** Where mask is 1 the entry is out of every max: the most negative finite float32. */
const REMOVED = -3.4e38;

const removed = (z: Tensor, mask: Tensor): Tensor => where(mask, full([], REMOVED, { backend: z.backend }), z);

/** max over the entries of each row where mask is 0 ([B, C] → [B]); no gradient to the mask. */
const maskedMax = (z: Tensor, mask: Tensor): Tensor => tidy(() => max(removed(z, mask), 1));

function checkLogits(op: string, z: Tensor, k: number): void {
  if (z.rank !== 2 || (z.shape[1] ?? 0) < k) throw new ShapeError(`${op}: needs logits [B, C] with at least ${k} classes, got ${fmtShape(z.shape)}`);
}

/** One-hot rows [B, C] of the positions of the k largest logits, in decreasing order (no gradient). */
function rankOneHots(z: Tensor, k: number, eye?: Tensor): Tensor[] {
  checkLogits('rankOneHots', z, k);
  return noGrad(() =>
    tidy(() => {
      const id = eye ?? identity(z.shape[1]!, z.backend);
      const out: Tensor[] = [];
      let taken = full(z.shape, 0, { backend: z.backend });
      for (let r = 0; r < k; r++) {
        const h = gather(id, argmax(r === 0 ? z : removed(z, taken), 1), 0);
        out.push(h);
        if (r + 1 < k) taken = add(taken, h);
      }
      return out;
    }),
  );
}

/** The k largest logits of each row, in decreasing order: k tensors of shape [B] (differentiable). */
export function topLogits(z: Tensor, k: number, eye?: Tensor): Tensor[] {
  return tidy(() => rankOneHots(z, k, eye).map((h) => sum(mul(z, h), 1)));
}

/** z_y − max_{j≠y} z_j per row (the true class removed exactly, not shifted by a constant). */
export const logitMargin = (z: Tensor, onehotY: Tensor): Tensor => tidy(() => sub(sum(mul(z, onehotY), 1), maskedMax(z, onehotY)));

/** −(z·a)/(z·b + 1e-12) per row, for weight rows a, b built without gradient. */
const ratio = (z: Tensor, a: Tensor, b: Tensor): Tensor => neg(div(sum(mul(z, a), 1), affine(sum(mul(z, b), 1), 1, 1e-12)));

/** Untargeted DLR, to ascend. Needs at least 3 classes. */
export function dlrAscent(z: Tensor, onehotY: Tensor, eye?: Tensor): Tensor {
  checkLogits('dlr', z, 3);
  return tidy(() => {
    const id = eye ?? identity(z.shape[1]!, z.backend);
    const [num, den] = noGrad(() => {
      const [h1, , h3] = rankOneHots(z, 3, id) as [Tensor, Tensor, Tensor];
      const other = gather(id, argmax(removed(z, onehotY), 1), 0);
      return [sub(onehotY, other), sub(h1, h3)];
    });
    return ratio(z, num!, den!);
  });
}

/** Targeted DLR towards class t (one-hot rows), to ascend. Needs at least 4 classes. */
export function dlrTargetedAscent(z: Tensor, onehotY: Tensor, onehotT: Tensor, eye?: Tensor): Tensor {
  checkLogits('dlr-targeted', z, 4);
  return tidy(() => {
    const [num, den] = noGrad(() => {
      const [h1, , h3, h4] = rankOneHots(z, 4, eye) as [Tensor, Tensor, Tensor, Tensor];
      return [sub(onehotY, onehotT), sub(h1, mul(add(h3, h4), 0.5))];
    });
    return ratio(z, num!, den!);
  });
}
