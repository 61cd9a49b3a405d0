import { keep } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { zerosLike } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';

/** Parameters as optimizers accept them: named (a Module's namedParameters()) or plain. */
export type ParamList = readonly Tensor[] | readonly (readonly [string, Tensor])[];

/** Names by tensor id: state tensors are named `<slot>.<parameter name>` for checkpoints. */
export function paramNames(params: ParamList): Map<number, string> {
  const names = new Map<number, string>();
  params.forEach((e, i) => {
    if (Array.isArray(e)) names.set((e[1] as Tensor).id, e[0] as string);
    else names.set((e as Tensor).id, String(i));
  });
  return names;
}

export function paramTensors(params: ParamList): Tensor[] {
  return params.map((e) => (Array.isArray(e) ? (e[1] as Tensor) : (e as Tensor)));
}

/** Check one update's arguments before any GPU work. */
export function checkStep(op: string, params: readonly Tensor[], grads: readonly Tensor[]): void {
  if (params.length !== grads.length) throw new ValueError(`${op}.step: ${params.length} parameters but ${grads.length} gradients; pass them in the same order`);
  params.forEach((p, i) => {
    const g = grads[i]!;
    if (p.dtype !== 'float32' || g.dtype !== 'float32') throw new ValueError(`${op}.step: parameter ${i} and its gradient must be float32 (got ${p.dtype}, ${g.dtype})`);
    if (p.shape.length !== g.shape.length || p.shape.some((d, j) => d !== g.shape[j])) {
      throw new ShapeError(`${op}.step: gradient ${i} has shape ${fmtShape(g.shape)} but its parameter has ${fmtShape(p.shape)}`);
    }
    if (p.backend !== g.backend) throw new ValueError(`${op}.step: parameter ${i} and its gradient live on different backends`);
    if (p.storage() === g.storage()) throw new ValueError(`${op}.step: gradient ${i} shares storage with its parameter; the update is in place, pass a separate gradient`);
  });
}

/** A zero state tensor for `p` that outlives any tidy scope (the optimizer owns it). */
export const zeroState = (p: Tensor): Tensor => keep(zerosLike(p));

export function checkHyper(op: string, name: string, v: number, lo: number, hi = Infinity, loOpen = false): void {
  if (!(Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi)) {
    throw new ValueError(`${op}: ${name} = ${v} must be in ${loOpen ? '(' : '['}${lo}, ${hi}${hi === Infinity ? ')' : ']'}`);
  }
}
