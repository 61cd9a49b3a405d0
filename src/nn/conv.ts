import { ValueError } from '../errors.js';
import { conv2d, type Conv2dOptions } from '../ops/conv.js';
import { avgPool2d, globalAvgPool2d, maxPool2d, type Pool2dOptions } from '../ops/pool.js';
import type { Pair } from '../ops/window.js';
import type { Tensor } from '../tensor.js';
import { fans, initTarget, torchDefaultBias, torchDefaultWeight, type LayerOptions } from './init.js';
import { Module, tap, type ForwardContext } from './module.js';

export interface Conv2dLayerOptions extends LayerOptions, Conv2dOptions {
  bias?: boolean;
}

const asPair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * 2-D convolution over NCHW input with weight [out, in, kh, kw] and bias [out] (PyTorch's
 * nn.Conv2d layout and default init: U(±1/√fan_in) for both, fan_in = in·kh·kw).
 */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly opts: Conv2dOptions;

  constructor(readonly inChannels: number, readonly outChannels: number, kernel: Pair, opts: Conv2dLayerOptions = {}) {
    super();
    const [kh, kw] = asPair(kernel);
    for (const [n, v] of [['inChannels', inChannels], ['outChannels', outChannels], ['kernel height', kh], ['kernel width', kw]] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new ValueError(`Conv2d: ${n} must be a positive integer, got ${v}`);
    }
    const t = initTarget(opts);
    const shape = [outChannels, inChannels, kh, kw];
    this.weight = torchDefaultWeight(shape, t);
    this.bias = opts.bias === false ? null : torchDefaultBias(outChannels, fans(shape).fanIn, t);
    this.opts = { stride: opts.stride ?? 1, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1 };
  }

  protected override ownParameters(): [string, Tensor][] {
    return this.bias ? [['weight', this.weight], ['bias', this.bias]] : [['weight', this.weight]];
  }

  /** Replace the weight (e.g. with a Kaiming-normal one), disposing the old. */
  setWeight(w: Tensor): void {
    this.weight.dispose();
    this.weight = w;
  }

  /** Replace the bias (null removes it), disposing the old. */
  setBias(b: Tensor | null): void {
    this.bias?.dispose();
    this.bias = b;
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tap(ctx, conv2d(x, this.weight, this.bias, this.opts));
  }
}

export class MaxPool2d extends Module {
  readonly opts: Pool2dOptions;
  constructor(kernel: Pair, opts: { stride?: Pair; padding?: Pair } = {}) {
    super();
    this.opts = { kernel, stride: opts.stride ?? kernel, padding: opts.padding ?? 0 };
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tap(ctx, maxPool2d(x, this.opts));
  }
}

export class AvgPool2d extends Module {
  readonly opts: Pool2dOptions;
  constructor(kernel: Pair, opts: { stride?: Pair; padding?: Pair } = {}) {
    super();
    this.opts = { kernel, stride: opts.stride ?? kernel, padding: opts.padding ?? 0 };
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tap(ctx, avgPool2d(x, this.opts));
  }
}

/** Mean over H and W: [N, C, H, W] → [N, C] (nn.AdaptiveAvgPool2d(1) followed by a flatten). */
export class GlobalAvgPool2d extends Module {
  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tap(ctx, globalAvgPool2d(x));
  }
}
