// Models and data for the APGD, Square and AutoAttack tests: weights rounded to float32 so that the
// GPU and the float64 oracle run the very same function, and labels the model gets right.
import { spawnSync } from 'node:child_process';
import { Module } from '../../src/nn/module.js';
import * as rl from '../../src/node.js';
import { LinearModel } from './models.js';
import { randomValues } from './oracle.js';

const f32 = (v: ArrayLike<number>): number[] => Array.from(v, (a) => Math.fround(a));

/** z = W2·relu(W1·x + b1) + b2 on flattened inputs, seeded N(0, 1/fan_in) weights in float32. */
export class TwoLayer extends Module {
  readonly fc1: LinearModel;
  readonly fc2: LinearModel;
  /** Modes seen by forward passes (to check that attacks run in eval mode, or never ran). */
  readonly modes: boolean[] = [];
  constructor(readonly inputs: number, readonly hidden: number, readonly classes: number, seed: number, backend?: rl.Backend<any>) {
    super();
    const rng = new rl.Rng(seed);
    const layer = (i: number, o: number): LinearModel =>
      new LinearModel(rl.tensor(f32(rng.fillNormal(i * o, 0, 1 / Math.sqrt(i))), [o, i], { backend }), rl.tensor(f32(rng.fillNormal(o, 0, 0.1)), [o], { backend }));
    this.fc1 = layer(inputs, hidden);
    this.fc2 = layer(hidden, classes);
  }
  override children(): [string, Module][] {
    return [['fc1', this.fc1], ['fc2', this.fc2]];
  }
  forward(x: rl.Tensor): rl.Tensor {
    this.modes.push(this.training);
    return rl.tidy(() => this.fc2.forward(rl.relu(this.fc1.forward(x))));
  }
  /** Weights as nested arrays, for the PyTorch script. */
  async weights(): Promise<{ W1: number[][]; b1: number[]; W2: number[][]; b2: number[] }> {
    const [W1, b1, W2, b2] = await Promise.all(this.parameters().map(async (p) => Array.from(await p.data())));
    return { W1: rows(W1!, this.inputs), b1: b1!, W2: rows(W2!, this.hidden), b2: b2! };
  }
}

/** fc(relu(x − shift)): with shift 2 and inputs in [0, 1] the logits are fc's bias and every input gradient is exactly 0. */
export class ReluShifted extends Module {
  constructor(readonly shift: number, readonly fc: LinearModel) {
    super();
  }
  override children(): [string, Module][] {
    return [['fc', this.fc]];
  }
  forward(x: rl.Tensor): rl.Tensor {
    return this.fc.forward(rl.relu(rl.sub(x, this.shift)));
  }
}

export const rows = (v: ArrayLike<number>, width: number): number[][] =>
  Array.from({ length: v.length / width }, (_, i) => Array.from(v).slice(i * width, (i + 1) * width));

/** A batch in [0, 1] (float32 values) and the model's own predictions as labels. */
export async function predictedBatch(model: Module, shape: number[], seed: number, backend?: rl.Backend<any>): Promise<{ x: rl.Tensor; y: Int32Array; values: number[] }> {
  const values = f32(randomValues(shape, seed, 0.05, 0.95));
  const x = rl.tensor(values, shape, { backend });
  const pred = rl.tidy(() => rl.argmax(model.forward(x), 1));
  const y = Int32Array.from(await pred.data());
  pred.dispose();
  return { x, y, values };
}

/** Debian's PyTorch (`apt-get install python3-torch`), if installed. */
export const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** Per-example L∞ and L2 distances between two flattened batches of rows of length d. */
export function distances(a: ArrayLike<number>, b: ArrayLike<number>, d: number): { linf: number[]; l2: number[] } {
  const n = a.length / d;
  const linf: number[] = [];
  const l2: number[] = [];
  for (let e = 0; e < n; e++) {
    let m = 0;
    let s = 0;
    for (let j = e * d; j < (e + 1) * d; j++) {
      const v = Math.abs(a[j]! - b[j]!);
      m = Math.max(m, v);
      s += v * v;
    }
    linf.push(m);
    l2.push(Math.sqrt(s));
  }
  return { linf, l2 };
}

/** Argmax per row of model(x), on the host. */
export async function predictions(model: Module, x: rl.Tensor): Promise<number[]> {
  const p = rl.tidy(() => rl.argmax(model.forward(x), 1));
  const v = Array.from(await p.data());
  p.dispose();
  return v;
}
