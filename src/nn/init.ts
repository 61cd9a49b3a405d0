import type { Backend } from '../backend/types.js';
import { sizeOf } from '../types.js';
import { ValueError, fmtShape } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';

/**
 * Weight initialisation, seeded through an Rng stream so the CPU oracle and the GPU see the same
 * numbers. Fans follow torch.nn.init._calculate_fan_in_and_fan_out: for a weight [out, in, …k]
 * fan_in = in·Πk and fan_out = out·Πk.
 *
 * PyTorch's defaults, which `Linear` and `Conv2d` reproduce:
 *   weight ~ kaiming_uniform(a = √5)  ⇔  U(−1/√fan_in, 1/√fan_in)
 *   bias   ~ U(−1/√fan_in, 1/√fan_in)
 * BatchNorm: weight (γ) = 1, bias (β) = 0, running_mean = 0, running_var = 1.
 */
export interface InitTarget {
  rng: Rng;
  backend?: Backend<any>;
}

/** Where a layer's parameters come from: a seed or Rng stream, and a backend (default: current). */
export interface LayerOptions {
  rng?: Rng;
  seed?: number;
  backend?: Backend<any>;
}

export function initTarget(o: LayerOptions = {}): InitTarget {
  return { rng: o.rng ?? new Rng(o.seed ?? 0), backend: o.backend };
}

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new ValueError(`init: fan_in and fan_out need a weight of rank >= 2, got ${fmtShape(shape)}`);
  const receptive = sizeOf(shape.slice(2));
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** torch.nn.init.calculate_gain for the nonlinearities used here. */
export function gain(nonlinearity: 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid', a = 0.01): number {
  switch (nonlinearity) {
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': return Math.sqrt(2 / (1 + a * a));
    case 'tanh': return 5 / 3;
    default: return 1;
  }
}

export interface KaimingOptions {
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: 'relu' | 'leaky_relu' | 'linear';
  /** Negative slope for leaky_relu (PyTorch's `a`). */
  a?: number;
}

function kaimingGainFan(shape: readonly number[], o: KaimingOptions): { g: number; fan: number } {
  const f = fans(shape);
  // PyTorch's default nonlinearity is leaky_relu with a = 0, i.e. gain √2.
  const g = gain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  return { g, fan: (o.mode ?? 'fan_in') === 'fan_in' ? f.fanIn : f.fanOut };
}

/** torch.nn.init.kaiming_normal_: N(0, (gain / √fan)²). */
export function kaimingNormal(shape: readonly number[], t: InitTarget, o: KaimingOptions = {}): Tensor {
  const { g, fan } = kaimingGainFan(shape, o);
  return tensor(t.rng.fillNormal(sizeOf(shape), 0, g / Math.sqrt(fan)), shape, { backend: t.backend });
}

/** torch.nn.init.kaiming_uniform_: U(−b, b), b = gain·√(3 / fan). */
export function kaimingUniform(shape: readonly number[], t: InitTarget, o: KaimingOptions = {}): Tensor {
  const { g, fan } = kaimingGainFan(shape, o);
  const b = g * Math.sqrt(3 / fan);
  return tensor(t.rng.fillUniform(sizeOf(shape), -b, b), shape, { backend: t.backend });
}

/** torch.nn.init.xavier_uniform_: U(−b, b), b = gain·√(6 / (fan_in + fan_out)). */
export function xavierUniform(shape: readonly number[], t: InitTarget, g = 1): Tensor {
  const f = fans(shape);
  const b = g * Math.sqrt(6 / (f.fanIn + f.fanOut));
  return tensor(t.rng.fillUniform(sizeOf(shape), -b, b), shape, { backend: t.backend });
}

/** torch.nn.init.xavier_normal_: N(0, gain²·2 / (fan_in + fan_out)). */
export function xavierNormal(shape: readonly number[], t: InitTarget, g = 1): Tensor {
  const f = fans(shape);
  return tensor(t.rng.fillNormal(sizeOf(shape), 0, g * Math.sqrt(2 / (f.fanIn + f.fanOut))), shape, { backend: t.backend });
}

/** U(lo, hi). */
export function uniform(shape: readonly number[], t: InitTarget, lo: number, hi: number): Tensor {
  return tensor(t.rng.fillUniform(sizeOf(shape), lo, hi), shape, { backend: t.backend });
}

/** PyTorch's default weight init for Linear and Conv2d: kaiming_uniform(a = √5) = U(±1/√fan_in). */
export function torchDefaultWeight(shape: readonly number[], t: InitTarget): Tensor {
  return kaimingUniform(shape, t, { a: Math.sqrt(5) });
}

/** PyTorch's default bias init for Linear and Conv2d: U(±1/√fan_in) of the weight's fan_in. */
export function torchDefaultBias(n: number, fanIn: number, t: InitTarget): Tensor {
  const b = 1 / Math.sqrt(fanIn);
  return uniform([n], t, -b, b);
}
