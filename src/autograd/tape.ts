import { engine, tidy } from '../engine.js';
import { RobustlensError, ValueError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import { contiguousView } from '../types.js';

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

/** The open tapes, innermost last; null marks a `noGrad` region. */
const tapes: (Tape | null)[] = [];

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
    // While fn runs, inner tidy scopes hand the tensors this tape needs to the enclosing scope.
    engine.pinnedByTapes.add(tape.pinned);
    let value: Tensor;
    try {
      value = fn();
    } finally {
      tapes.pop();
      engine.pinnedByTapes.delete(tape.pinned);
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

// The tape sits below the ops, so it makes its seeds and sums with the backend directly: the same
// kernels that full() and add() run, without their checks (shapes and dtypes are known to match).

/** A tensor like `t` filled with `v`: the seed 1 of the backward pass, or the 0 of an unused input. */
function filledLike(t: Tensor, v: number): Tensor {
  const be = t.backend;
  return new Tensor([...t.shape], t.dtype, be, be.fill(t.size, v, t.dtype));
}

/** a + b for two gradients of the same input (same shape, float32). */
function accumulate(op: string, a: Tensor, b: Tensor): Tensor {
  const be = a.backend;
  if (b.backend !== be) throw new ValueError(`backward of ${op}: gradients on two backends (${be.kind}, ${b.backend.kind}); keep every tensor of a graph on one backend`);
  const view = contiguousView(a.shape);
  const out = new Tensor([...a.shape], 'float32', be, be.binary('add', a.storage('backward'), view, b.storage('backward'), view, [...a.shape]));
  out.origin = 'add';
  return out;
}

function backward(tape: Tape, value: Tensor, wrt: readonly Tensor[]): Tensor[] {
  const grads = new Map<number, Tensor>();
  const wanted = new Set(wrt.map((t) => t.id));
  if (tape.tracked.has(value.id)) grads.set(value.id, filledLike(value, 1));
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
      grads.set(input.id, prev ? accumulate(node.op, prev, gi) : gi);
    });
    // The output's gradient is no longer needed unless a rule passed it straight through.
    if (!wanted.has(node.output.id) && !gIns.includes(g)) {
      grads.delete(node.output.id);
      if (![...grads.values()].includes(g)) g.dispose();
    }
  }
  return wrt.map((t) => grads.get(t.id) ?? filledLike(t, 0));
}

/** How many tapes are open (for tests and diagnostics). */
export const tapeDepth = (): number => tapes.length;
export { engine };
