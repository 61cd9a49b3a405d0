// Small models built from core ops (matmul, add, relu, reshape) and a plain SGD, for analysis tests
// that must not depend on src/nn layers or src/optim implementations.
import * as rl from '../../src/node.js';
import { Module, tap, type ForwardContext } from '../../src/nn/module.js';
import type { Optimizer } from '../../src/optim/optimizer.js';

/** z = x·W + b on flattened inputs; taps 'fc'. */
export class TinyLinear extends Module {
  constructor(
    readonly w: rl.Tensor,
    readonly b: rl.Tensor,
  ) {
    super();
  }
  static seeded(inFeatures: number, classes: number, seed: number, scale = 0.3): TinyLinear {
    return new TinyLinear(rl.randn([inFeatures, classes], seed, { std: scale }), rl.zeros([classes]));
  }
  protected override ownParameters(): [string, rl.Tensor][] {
    return [['weight', this.w], ['bias', this.b]];
  }
  forward(x: rl.Tensor, ctx?: ForwardContext): rl.Tensor {
    return rl.tidy(() => tap(ctx ? { ...ctx, prefix: 'fc' } : undefined, rl.add(rl.matmul(rl.reshape(x, [x.shape[0]!, -1]), this.w), this.b)));
  }
}

/**
 * A "conv-ish" net for images [N, 1, H, W]: map = relu(x·M) with M [W, W] (a row filter, output
 * [N, 1, H, W], tapped 'map'), then logits = flatten(map)·V (tapped 'fc').
 */
export class TinyMapNet extends Module {
  constructor(
    readonly m: rl.Tensor,
    readonly v: rl.Tensor,
  ) {
    super();
  }
  static seeded(H: number, W: number, classes: number, seed: number): TinyMapNet {
    return new TinyMapNet(rl.randn([W, W], seed, { std: 0.5 }), rl.randn([H * W, classes], seed + 1, { std: 0.2 }));
  }
  protected override ownParameters(): [string, rl.Tensor][] {
    return [['m', this.m], ['v', this.v]];
  }
  forward(x: rl.Tensor, ctx?: ForwardContext): rl.Tensor {
    return rl.tidy(() => {
      const map = tap(ctx ? { ...ctx, prefix: 'map' } : undefined, rl.relu(rl.matmul(x, this.m)));
      return tap(ctx ? { ...ctx, prefix: 'fc' } : undefined, rl.matmul(rl.reshape(map, [x.shape[0]!, -1]), this.v));
    });
  }
}

/** Plain SGD: p ← p − lr·g, written into the parameter's storage through writeView. */
export class TinySgd implements Optimizer {
  constructor(public lr: number) {}
  step(params: readonly rl.Tensor[], grads: readonly rl.Tensor[]): void {
    params.forEach((p, i) => {
      const next = rl.tidy(() => rl.sub(p, rl.mul(grads[i]!, this.lr)));
      p.backend.writeView(p.storage(), { shape: [p.size], strides: [1], offset: 0 }, next.storage());
      next.dispose();
    });
  }
  state(): [string, rl.Tensor][] {
    return [];
  }
  dispose(): void {}
}
