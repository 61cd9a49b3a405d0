import { engine, tidy } from '../engine.js';
import { RobustlensError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';

/**
 * A vector-Jacobian product: given the gradient `g` of the output, return the gradient of each
 * input (null where an input gets none). Rules are built from registered ops, so they run on any
 * backend; `params` carries what the forward pass needed to remember (axes, shapes, constants).
 */
export type Vjp<P = undefined> = (
  g: Tensor,
  inputs: readonly Tensor[],
  output: Tensor,
  params: P,
  /** needs[k] is false when input k does not lead to anything being differentiated: a rule may
   *  return null there and skip the work (e.g. the weight gradient during an input attack). */
  needs: readonly boolean[],
) => readonly (Tensor | null)[];

/** A table of rules, one per op name of a family: `satisfies VjpTable<'add' | 'mul'>` fails to
 *  compile while any op of the family lacks its rule. */
export type VjpTable<Names extends string> = { readonly [K in Names]: Vjp<any> };

interface TapeNode {
  readonly op: string;
  readonly rule: Vjp<any>;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly params: unknown;
}

class Tape {
  readonly nodes: TapeNode[] = [];
  readonly tracked = new Set<number>();
  readonly pinned = new Set<number>();
}

const tapes: (Tape | null)[] = [];

engine.isPinned = (t) => tapes.some((tape) => tape?.pinned.has(t.id) ?? false);

function activeTape(): Tape | null {
  return tapes.length > 0 ? tapes[tapes.length - 1]! : null;
}

/** Called by every differentiable op after computing `output`. Cheap when nothing is traced. */
export function record<P>(op: string, rule: Vjp<P>, inputs: readonly Tensor[], output: Tensor, params: P): void {
  output.origin = op;
  const tape = activeTape();
  if (!tape) return;
  if (!inputs.some((t) => tape.tracked.has(t.id))) return;
  tape.nodes.push({ op, rule, inputs, output, params });
  tape.tracked.add(output.id);
  for (const t of inputs) tape.pinned.add(t.id);
  tape.pinned.add(output.id);
}

/** True inside `valueAndGrad` while its function runs (not under `noGrad`). */
export function isTaping(): boolean {
  return activeTape() !== null;
}

/** True when `t` is being traced for gradients by the innermost `valueAndGrad`. */
export function isTracked(t: Tensor): boolean {
  return activeTape()?.tracked.has(t.id) ?? false;
}

/** Run `fn` without recording anything for gradients. */
export function noGrad<T>(fn: () => T): T {
  tapes.push(null);
  try {
    return fn();
  } finally {
    tapes.pop();
  }
}

/**
 * Reverse mode. Evaluates `fn()` (which must return a one-element tensor), then the gradient of
 * that value with respect to each tensor in `wrt` (parameters, inputs, or both). Every tensor
 * created along the way is disposed, except the returned value and gradients; `aux` tensors that
 * `fn` hands back through `keep` survive as usual. The tape is walked iteratively in reverse
 * creation order, which is a topological order, so long PGD graphs cannot overflow the stack.
 * A tensor in `wrt` that `fn` does not use gets a zero gradient.
 */
export function valueAndGrad(fn: () => Tensor, wrt: readonly Tensor[]): { value: Tensor; grads: Tensor[] } {
  return tidy(() => {
    const tape = new Tape();
    for (const t of wrt) {
      if (t.dtype !== 'float32') throw new RobustlensError(`valueAndGrad: cannot differentiate with respect to a ${t.dtype} tensor ${fmtShape(t.shape)}`);
      tape.tracked.add(t.id);
    }
    tapes.push(tape);
    let value: Tensor;
    try {
      value = fn();
    } finally {
      tapes.pop();
    }
    if (value.size !== 1) {
      throw new RobustlensError(`valueAndGrad: fn must return one value, got shape ${fmtShape(value.shape)}; reduce it with sum() or mean() first`);
    }
    const grads = noGrad(() => backward(tape, value, wrt));
    return { value, grads };
  });
}

/** Gradients only; see `valueAndGrad`. */
export function grad(fn: () => Tensor, wrt: readonly Tensor[]): Tensor[] {
  const { value, grads } = valueAndGrad(fn, wrt);
  value.dispose();
  return grads;
}

// Filled in by ops/creation.ts and ops/elementwise.ts to avoid an import cycle.
export const hooks: {
  onesLike?: (t: Tensor) => Tensor;
  zerosLike?: (t: Tensor) => Tensor;
  add?: (a: Tensor, b: Tensor) => Tensor;
} = {};

function backward(tape: Tape, value: Tensor, wrt: readonly Tensor[]): Tensor[] {
  const { onesLike, zerosLike, add } = hooks as Required<typeof hooks>;
  const grads = new Map<number, Tensor>();
  const wanted = new Set(wrt.map((t) => t.id));
  if (tape.tracked.has(value.id)) grads.set(value.id, onesLike(value));
  for (let i = tape.nodes.length - 1; i >= 0; i--) {
    const node = tape.nodes[i]!;
    const g = grads.get(node.output.id);
    if (!g) continue;
    const needs = node.inputs.map((t) => tape.tracked.has(t.id));
    const gIns = node.rule(g, node.inputs, node.output, node.params, needs);
    node.inputs.forEach((input, k) => {
      const gi = gIns[k];
      if (!gi || !tape.tracked.has(input.id)) return;
      if (gi.shape.length !== input.shape.length || gi.shape.some((d, j) => d !== input.shape[j])) {
        throw new RobustlensError(`backward of ${node.op}: gradient shape ${fmtShape(gi.shape)} does not match input ${fmtShape(input.shape)}`);
      }
      const prev = grads.get(input.id);
      grads.set(input.id, prev ? add(prev, gi) : gi);
    });
    // The output's gradient is no longer needed unless a rule passed it straight through.
    if (!wanted.has(node.output.id) && !gIns.includes(g)) {
      grads.delete(node.output.id);
      if (![...grads.values()].includes(g)) g.dispose();
    }
  }
  return wrt.map((t) => grads.get(t.id) ?? zerosLike(t));
}

/** How many tapes are open (for tests and diagnostics). */
export const tapeDepth = (): number => tapes.length;
export { engine };
