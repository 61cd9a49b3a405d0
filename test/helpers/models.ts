// Small models and a plain SGD for the attack and recipe tests, built from core ops only
// (the nn layers live on another branch).
import { Module, type ForwardContext } from '../../src/nn/module.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { add, matmulT, mul, relu, reshape, sub, tensor, tidy, Rng, type Backend, type Tensor } from '../../src/node.js';

const flat = (x: Tensor): Tensor => reshape(x, [x.shape[0]!, x.size / x.shape[0]!]);

/** z = W·x + b on flattened inputs (methods.md §2.6). */
export class LinearModel extends Module {
  constructor(readonly weight: Tensor, readonly bias: Tensor) {
    super();
  }
  static from(w: number[][], b: number[], backend?: Backend<any>): LinearModel {
    return new LinearModel(tensor(w.flat(), [w.length, w[0]!.length], { backend }), tensor(b, [b.length], { backend }));
  }
  protected override ownParameters(): [string, Tensor][] {
    return [['weight', this.weight], ['bias', this.bias]];
  }
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    return tidy(() => add(matmulT(flat(x), this.weight, false, true), this.bias));
  }
}

/** A 2-layer ReLU MLP with seeded N(0, 1/fan_in) weights. */
export class Mlp extends Module {
  readonly fc1: LinearModel;
  readonly fc2: LinearModel;
  /** Modes seen by forward passes, to check that attacks run in eval mode. */
  readonly modes: boolean[] = [];
  constructor(inputs: number, hidden: number, classes: number, seed: number, backend?: Backend<any>) {
    super();
    const rng = new Rng(seed);
    const layer = (i: number, o: number): LinearModel =>
      new LinearModel(tensor(rng.fillNormal(i * o, 0, 1 / Math.sqrt(i)), [o, i], { backend }), tensor(rng.fillNormal(o, 0, 0.1), [o], { backend }));
    this.fc1 = layer(inputs, hidden);
    this.fc2 = layer(hidden, classes);
  }
  override children(): [string, Module][] {
    return [['fc1', this.fc1], ['fc2', this.fc2]];
  }
  forward(x: Tensor): Tensor {
    this.modes.push(this.training);
    return tidy(() => this.fc2.forward(relu(this.fc1.forward(x))));
  }
}

/** Plain SGD (no momentum), updating parameter storage in place through writeView. */
export class TinySgd implements Optimizer {
  constructor(public lr: number) {}
  step(params: readonly Tensor[], grads: readonly Tensor[]): void {
    params.forEach((p, i) => {
      const next = tidy(() => sub(p, mul(grads[i]!, this.lr)));
      p.backend.writeView(p.storage(), { shape: [p.size], strides: [1], offset: 0 }, next.storage());
      next.dispose();
    });
  }
  state(): [string, Tensor][] {
    return [];
  }
  dispose(): void {}
}
