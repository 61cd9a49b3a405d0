import type { Tensor } from '../tensor.js';

/**
 * What a forward pass may be asked to do besides computing its output. `tap` is called with the
 * qualified name (PyTorch style: `features.0`, `layer1.0.conv1`) and output of every leaf module:
 * feature capture for CKA, activation statistics, debugging.
 */
export interface ForwardContext {
  tap?: (name: string, output: Tensor) => void;
  /** Qualified name prefix of the module being run (set by containers). */
  prefix?: string;
}

/**
 * A layer or a network. Parameters and buffers are tensors the module owns (dispose() frees them);
 * their qualified names follow PyTorch's state_dict keys so checkpoints interoperate.
 */
export abstract class Module {
  training = true;

  abstract forward(x: Tensor, ctx?: ForwardContext): Tensor;

  /** Direct parameters of this module (not of children), by local name. */
  protected ownParameters(): [string, Tensor][] {
    return [];
  }

  /** Direct buffers (running statistics), by local name. */
  protected ownBuffers(): [string, Tensor][] {
    return [];
  }

  /** Child modules by local name. */
  children(): [string, Module][] {
    return [];
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = this.ownParameters().map(([n, t]) => [prefix + n, t]);
    for (const [n, c] of this.children()) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = this.ownBuffers().map(([n, t]) => [prefix + n, t]);
    for (const [n, c] of this.children()) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  train(on = true): this {
    this.training = on;
    for (const [, c] of this.children()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  dispose(): void {
    for (const [, t] of this.ownParameters()) t.dispose();
    for (const [, t] of this.ownBuffers()) t.dispose();
    for (const [, c] of this.children()) c.dispose();
  }
}

/** Report a leaf module's output to the context's tap, under its qualified name. */
export function tap(ctx: ForwardContext | undefined, out: Tensor): Tensor {
  if (ctx?.tap) ctx.tap(ctx.prefix ?? '', out);
  return out;
}
