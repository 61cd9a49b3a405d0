import { dropout } from '../ops/dropout.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module, tap, type ForwardContext } from './module.js';

/**
 * nn.Dropout (inverted: survivors scaled by 1/(1 − p)); the identity in eval mode. Masks come
 * from the module's own Rng stream, so a seeded run drops the same units every time.
 */
export class Dropout extends Module {
  readonly rng: Rng;
  constructor(readonly p = 0.5, opts: { rng?: Rng; seed?: number } = {}) {
    super();
    this.rng = opts.rng ?? new Rng(opts.seed ?? 0);
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tap(ctx, dropout(x, this.p, this.rng, this.training));
  }
}
