import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { pgdTensors, readAttack, type AttackResult } from './pgd.js';
import { checkInputRange, resolvePgd, type Objective, type PgdOptions } from './pgd-options.js';

export interface FgsmOptions {
  eps: number;
  loss?: 'ce' | 'cw' | Objective;
  kappa?: number;
  target?: ArrayLike<number>;
  numClasses?: number;
}

/** FGSM: x' = clip01(x + ε·sign(∇ₓL)), sign(0) = 0 — one fused step from x with α = ε, no random start. */
export function fgsmOptions(o: FgsmOptions): PgdOptions {
  return { ...o, steps: 1, alpha: o.eps, start: 'none', restarts: 1, norm: 'linf' };
}

export async function fgsm(model: Module, x: Tensor, y: ArrayLike<number>, opts: FgsmOptions): Promise<AttackResult> {
  const r = resolvePgd('fgsm', x, y, fgsmOptions(opts));
  await checkInputRange('fgsm', x);
  return readAttack(pgdTensors(model, x, y, r));
}
