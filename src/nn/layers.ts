import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { add, relu } from '../ops/elementwise.js';
import { flatten } from '../ops/layout.js';
import { matmulT } from '../ops/matmul.js';
import { tidy } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { reluMaxPool2d } from '../ops/pool.js';
import { MaxPool2d } from './conv.js';
import { fans, initTarget, torchDefaultBias, torchDefaultWeight, type LayerOptions } from './init.js';
import { Module, tap, type ForwardContext } from './module.js';

// initTarget and LayerOptions live in init.ts (so that conv.ts need not import this file, which
// imports its MaxPool2d); re-exported here, where the other modules look for them.
export { initTarget, type LayerOptions } from './init.js';

/** The context for child `name` of a container: its qualified name extends the parent's. */
export function childContext(ctx: ForwardContext | undefined, name: string): ForwardContext | undefined {
  if (!ctx) return undefined;
  return { ...ctx, prefix: ctx.prefix ? `${ctx.prefix}.${name}` : name };
}

/** y = x·Wᵀ + b with W [out, in] (PyTorch's layout), x [batch, in]. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LayerOptions & { bias?: boolean } = {}) {
    super();
    if (!(inFeatures >= 1 && outFeatures >= 1 && Number.isInteger(inFeatures) && Number.isInteger(outFeatures))) {
      throw new ValueError(`Linear: features must be positive integers, got in ${inFeatures}, out ${outFeatures}`);
    }
    const t = initTarget(opts);
    this.weight = torchDefaultWeight([outFeatures, inFeatures], t);
    this.bias = opts.bias === false ? null : torchDefaultBias(outFeatures, fans([outFeatures, inFeatures]).fanIn, t);
  }

  protected override ownParameters(): [string, Tensor][] {
    return this.bias ? [['weight', this.weight], ['bias', this.bias]] : [['weight', this.weight]];
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}→${this.outFeatures}): input must be [batch, ${this.inFeatures}], got ${fmtShape(x.shape)}; add a Flatten before it`);
    }
    const bias = this.bias;
    return tap(ctx, bias ? tidy(() => add(matmulT(x, this.weight, false, true), bias)) : matmulT(x, this.weight, false, true));
  }
}

export class ReLU extends Module {
  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tap(ctx, relu(x));
  }
}

/** Flatten every axis from `startAxis` on (PyTorch's nn.Flatten, start_dim = 1). */
export class Flatten extends Module {
  constructor(readonly startAxis = 1) {
    super();
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tap(ctx, flatten(x, this.startAxis));
  }
}

/** The identity (as PyTorch's nn.Identity); useful as a placeholder in a Sequential. */
export class Identity extends Module {
  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tap(ctx, x);
  }
}

/**
 * Children run in order. Given modules, they are named "0", "1", … (PyTorch's nn.Sequential);
 * given [name, module] pairs, by those names (nn.Sequential(OrderedDict(...))). A Sequential does
 * not tap its own output: it is its last child's, which is tapped under the child's name.
 * Intermediate outputs are freed when the forward pass returns (a tidy scope, as every composite):
 * a tap that wants to hold one longer must `keep()` it (and later dispose it) or copy what it needs.
 */
export class Sequential extends Module {
  readonly layers: [string, Module][];

  constructor(...layers: (Module | [string, Module])[]) {
    super();
    this.layers = layers.map((l, i) => (l instanceof Module ? [String(i), l] : [l[0], l[1]]));
    const names = new Set<string>();
    for (const [n] of this.layers) {
      if (names.has(n) || n === '' || n.includes('.')) throw new ValueError(`Sequential: child name '${n}' is empty, repeated or contains '.'`);
      names.add(n);
    }
  }

  override children(): [string, Module][] {
    return this.layers;
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tidy(() => {
      let y = x;
      for (let i = 0; i < this.layers.length; i++) {
        const [name, m] = this.layers[i]!;
        const next = this.layers[i + 1]?.[1];
        // ReLU then MaxPool2d: one fused op (maxPool2d(relu(z)) without storing relu(z) or running a
        // reluGrad pass; equal to the pair bit for bit). Not under a tap, which wants the ReLU's output.
        if (!ctx?.tap && m instanceof ReLU && next instanceof MaxPool2d) {
          y = reluMaxPool2d(y, next.opts);
          i++;
          continue;
        }
        y = m.forward(y, childContext(ctx, name));
      }
      return y;
    });
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): Module {
    return this.layers[i]![1];
  }
}
