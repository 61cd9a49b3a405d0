// Compare an op on the GPU with the float64 CPU oracle, forward and backward, and check the
// oracle's gradients against central finite differences.
import { expect } from 'vitest';
import { cpu, getBackend, tensor, tidy, valueAndGrad, sum, mul, Rng, type Tensor, type Backend } from '../../src/node.js';

export interface Input {
  shape: number[];
  /** Values; default seeded N(0, 1). */
  values?: Float64Array | number[];
  /** Differentiate with respect to this input (default true). */
  grad?: boolean;
  dtype?: 'float32' | 'int32';
}

export interface Tol {
  rtol?: number;
  atol?: number;
}

export function randomValues(shape: number[], seed: number, lo?: number, hi?: number): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = new Rng(seed);
  return lo === undefined ? rng.fillNormal(n) : rng.fillUniform(n, lo, hi);
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol = {}, what = ''): void {
  const rtol = tol.rtol ?? 1e-4;
  const atol = tol.atol ?? 1e-5;
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = Number.isNaN(err) ? Infinity : err;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

function makeInputs(inputs: Input[], backend: Backend<any>, seed: number): Tensor[] {
  return inputs.map((inp, i) => {
    const values = inp.values ?? randomValues(inp.shape, seed + 97 * i);
    return tensor(values, inp.shape, { backend, dtype: inp.dtype ?? 'float32' });
  });
}

/** Run fn on one backend; returns the output and the gradients of Σ(out·r) for a fixed random r. */
async function runOn(backend: Backend<any>, fn: (...xs: Tensor[]) => Tensor, inputs: Input[], seed: number) {
  const xs = makeInputs(inputs, backend, seed);
  const wrt = xs.filter((_, i) => inputs[i]!.grad !== false && inputs[i]!.dtype !== 'int32');
  let out!: Tensor;
  let grads: Tensor[] = [];
  let weights: Tensor | null = null;
  if (wrt.length > 0) {
    const probe = tidy(() => fn(...xs));
    const shape = [...probe.shape];
    probe.dispose();
    weights = tensor(randomValues(shape, seed + 7), shape, { backend });
    const r = valueAndGrad(() => {
      const y = fn(...xs);
      out = y;
      return sum(mul(y, weights!));
    }, wrt);
    r.value.dispose();
    grads = r.grads;
    // `out` was created inside the scope and is gone; recompute it plainly.
  }
  const y = tidy(() => fn(...xs));
  const result = { out: Array.from(await y.data()), shape: [...y.shape], grads: [] as number[][] };
  for (const g of grads) result.grads.push(Array.from(await g.data()));
  for (const t of [...xs, ...grads, y]) t.dispose();
  weights?.dispose();
  return result;
}

/**
 * Check `fn` on the default (GPU) backend against the CPU oracle, forward and backward, and the
 * oracle's backward against finite differences of Σ(out·r).
 */
export async function checkOp(
  name: string,
  fn: (...xs: Tensor[]) => Tensor,
  inputs: Input[],
  opts: { seed?: number; tol?: Tol; gradTol?: Tol; finiteDiff?: boolean } = {},
): Promise<void> {
  const seed = opts.seed ?? 1234;
  const gpu = await runOn(getBackend(), fn, inputs, seed);
  const ref = await runOn(cpu, fn, inputs, seed);
  expect(gpu.shape, `${name}: output shape`).toEqual(ref.shape);
  expectClose(gpu.out, ref.out, opts.tol, `${name} forward`);
  ref.grads.forEach((g, i) => expectClose(gpu.grads[i]!, g, opts.gradTol ?? opts.tol ?? { rtol: 1e-3, atol: 1e-4 }, `${name} grad ${i}`));
  if (opts.finiteDiff !== false && ref.grads.length > 0) await finiteDifferences(name, fn, inputs, seed, ref.grads);
}

/** Central differences in float64 on the CPU backend, at up to 12 coordinates per input. */
async function finiteDifferences(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Input[], seed: number, grads: number[][]): Promise<void> {
  const base = inputs.map((inp, i) => Float64Array.from(inp.values ?? randomValues(inp.shape, seed + 97 * i)));
  const objective = async (vals: Float64Array[]): Promise<number> => {
    const y = tidy(() => {
      const xs = vals.map((v, i) => tensor(v, inputs[i]!.shape, { backend: cpu, dtype: inputs[i]!.dtype ?? 'float32' }));
      const out = fn(...xs);
      const w = tensor(randomValues([...out.shape], seed + 7), [...out.shape], { backend: cpu });
      return sum(mul(out, w));
    });
    const v = await y.item();
    y.dispose();
    return v;
  };
  const h = 1e-6;
  let g = 0;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i]!.grad === false || inputs[i]!.dtype === 'int32') continue;
    const n = base[i]!.length;
    const picks = n <= 12 ? [...Array(n).keys()] : Array.from({ length: 12 }, (_, k) => Math.floor((k * n) / 12));
    for (const j of picks) {
      const plus = base.map((b) => Float64Array.from(b));
      const minus = base.map((b) => Float64Array.from(b));
      plus[i]![j]! += h;
      minus[i]![j]! -= h;
      const fd = ((await objective(plus)) - (await objective(minus))) / (2 * h);
      const an = grads[g]![j]!;
      expect(Math.abs(fd - an), `${name}: d/dx${i}[${j}] analytic ${an} vs finite difference ${fd}`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(fd));
    }
    g++;
  }
}
