import { tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import { add, relu } from '../ops/elementwise.js';
import { flatten } from '../ops/layout.js';
import type { Tensor } from '../tensor.js';
import { Conv2d, GlobalAvgPool2d } from './conv.js';
import { kaimingNormal } from './init.js';
import { Linear, Sequential, childContext, initTarget, type LayerOptions } from './layers.js';
import { Module, tap, type ForwardContext } from './module.js';
import { BatchNorm2d } from './norm.js';

/**
 * torchvision's BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3×3 convolutions
 * without bias, conv1 carrying the stride. The shortcut is the identity, or `downsample`
 * (1×1 conv with the stride, then batch norm) when the shape changes. Keys: `conv1.weight`,
 * `bn1.weight`, …, `downsample.0.weight`, `downsample.1.running_mean`. The block taps its own
 * output (after the final ReLU) under its name, besides the taps of its leaf children.
 */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(inChannels: number, outChannels: number, stride = 1, opts: LayerOptions = {}) {
    super();
    const t = initTarget(opts);
    const lo = { rng: t.rng, backend: t.backend, bias: false };
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { ...lo, stride, padding: 1 });
    this.bn1 = new BatchNorm2d(outChannels, { backend: t.backend });
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { ...lo, padding: 1 });
    this.bn2 = new BatchNorm2d(outChannels, { backend: t.backend });
    this.downsample =
      stride !== 1 || inChannels !== outChannels
        ? new Sequential(new Conv2d(inChannels, outChannels, 1, { ...lo, stride }), new BatchNorm2d(outChannels, { backend: t.backend }))
        : null;
    // torchvision's ResNet init: Kaiming normal, fan_out, for every convolution.
    for (const c of [this.conv1, this.conv2, ...(this.downsample ? [this.downsample.at(0) as Conv2d] : [])]) {
      c.setWeight(kaimingNormal(c.weight.shape, t, { mode: 'fan_out', nonlinearity: 'relu' }));
    }
  }

  override children(): [string, Module][] {
    const c: [string, Module][] = [['conv1', this.conv1], ['bn1', this.bn1], ['conv2', this.conv2], ['bn2', this.bn2]];
    if (this.downsample) c.push(['downsample', this.downsample]);
    return c;
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tap(ctx, tidy(() => {
      let y = this.conv1.forward(x, childContext(ctx, 'conv1'));
      y = relu(this.bn1.forward(y, childContext(ctx, 'bn1')));
      y = this.bn2.forward(this.conv2.forward(y, childContext(ctx, 'conv2')), childContext(ctx, 'bn2'));
      const s = this.downsample ? this.downsample.forward(x, childContext(ctx, 'downsample')) : x;
      return relu(add(y, s));
    }));
  }
}

export interface ResNetOptions extends LayerOptions {
  inChannels?: number;
  classes?: number;
  /** Channels of the first stage; each later stage doubles them (default 16, as CIFAR ResNets). */
  width?: number;
  /** BasicBlocks per stage (default [2, 2, 2]: a ResNet-14; [3, 3, 3] is ResNet-20). */
  blocks?: readonly number[];
}

/**
 * A small CIFAR-style ResNet (He et al. 2016 §4.2) for 28×28 and 32×32 input: conv3×3(width) + BN
 * + ReLU, stages of BasicBlocks with widths w, 2w, 4w (stride 2 at each new stage), global average
 * pooling and a linear classifier. Keys as torchvision: `conv1`, `bn1`, `layer1.0.conv1`, …, `fc`.
 * Works for any input size >= 4 (the pooling is global).
 */
export class ResNetSmall extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layers: Sequential[];
  readonly pool = new GlobalAvgPool2d();
  readonly fc: Linear;

  constructor(opts: ResNetOptions = {}) {
    super();
    const t = initTarget(opts);
    const w = opts.width ?? 16;
    const blocks = opts.blocks ?? [2, 2, 2];
    if (blocks.length === 0 || blocks.some((b) => !(Number.isInteger(b) && b >= 1))) throw new ValueError(`resnetSmall: blocks ${JSON.stringify(blocks)} must be positive integers`);
    const lo = { rng: t.rng, backend: t.backend };
    this.conv1 = new Conv2d(opts.inChannels ?? 1, w, 3, { ...lo, padding: 1, bias: false });
    this.conv1.setWeight(kaimingNormal(this.conv1.weight.shape, t, { mode: 'fan_out', nonlinearity: 'relu' }));
    this.bn1 = new BatchNorm2d(w, { backend: t.backend });
    let c = w;
    this.layers = blocks.map((n, stage) => {
      const out = w * 2 ** stage;
      const seq = new Sequential(...Array.from({ length: n }, (_, i) => new BasicBlock(i === 0 ? c : out, out, i === 0 && stage > 0 ? 2 : 1, lo)));
      c = out;
      return seq;
    });
    this.fc = new Linear(c, opts.classes ?? 10, lo);
  }

  override children(): [string, Module][] {
    return [['conv1', this.conv1], ['bn1', this.bn1], ...this.layers.map((l, i) => [`layer${i + 1}`, l] as [string, Module]), ['fc', this.fc]];
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tidy(() => {
      let y = relu(this.bn1.forward(this.conv1.forward(x, childContext(ctx, 'conv1')), childContext(ctx, 'bn1')));
      this.layers.forEach((l, i) => (y = l.forward(y, childContext(ctx, `layer${i + 1}`))));
      y = flatten(this.pool.forward(y, childContext(ctx, 'avgpool')), 1);
      return this.fc.forward(y, childContext(ctx, 'fc'));
    });
  }
}
