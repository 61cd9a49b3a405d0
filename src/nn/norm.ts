import { ValueError } from '../errors.js';
import { full } from '../ops/creation.js';
import { batchNorm2d } from '../ops/norm.js';
import type { Tensor } from '../tensor.js';
import type { LayerOptions } from './layers.js';
import { Module, tap, type ForwardContext } from './module.js';

/**
 * nn.BatchNorm2d: parameters `weight` (γ = 1) and `bias` (β = 0); buffers `running_mean` (0),
 * `running_var` (1) and `num_batches_tracked` (an int32 scalar; PyTorch stores int64), all under
 * PyTorch's state_dict names. The op updates the running statistics in place in training mode.
 * The batch counter is kept on the host and materialised as a tensor only when buffers are listed,
 * so a training step uploads nothing for it; assign `numBatchesTracked` after loading a checkpoint.
 */
export class BatchNorm2d extends Module {
  weight: Tensor;
  bias: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  numBatchesTracked = 0;
  private counter: { t: Tensor; n: number } | null = null;
  readonly momentum: number;
  readonly eps: number;

  constructor(readonly numFeatures: number, opts: LayerOptions & { momentum?: number; eps?: number } = {}) {
    super();
    if (!(Number.isInteger(numFeatures) && numFeatures >= 1)) throw new ValueError(`BatchNorm2d: numFeatures must be a positive integer, got ${numFeatures}`);
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-5;
    const backend = opts.backend;
    this.weight = full([numFeatures], 1, { backend });
    this.bias = full([numFeatures], 0, { backend });
    this.runningMean = full([numFeatures], 0, { backend });
    this.runningVar = full([numFeatures], 1, { backend });
  }

  protected override ownParameters(): [string, Tensor][] {
    return [['weight', this.weight], ['bias', this.bias]];
  }

  protected override ownBuffers(): [string, Tensor][] {
    if (!this.counter || this.counter.n !== this.numBatchesTracked) {
      this.counter?.t.dispose();
      this.counter = { t: full([], this.numBatchesTracked, { dtype: 'int32', backend: this.weight.backend }), n: this.numBatchesTracked };
    }
    return [['running_mean', this.runningMean], ['running_var', this.runningVar], ['num_batches_tracked', this.counter.t]];
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    const y = batchNorm2d(x, this.weight, this.bias, this.runningMean, this.runningVar, { training: this.training, momentum: this.momentum, eps: this.eps });
    if (this.training) this.numBatchesTracked++;
    return tap(ctx, y);
  }

  override dispose(): void {
    for (const t of [this.weight, this.bias, this.runningMean, this.runningVar]) t.dispose();
    this.counter?.t.dispose();
    this.counter = null;
  }
}
