// The fused softmax cross-entropy (softmaxCrossEntropy: shaders/loss.wgsl, oracle in
// backend/cpu/logits.ts), which crossEntropy, softCrossEntropy and the attacks' CE objective run:
//  - the float64 oracle equals the composite it replaced (−Σ t · logSoftmax(z), autograd through
//    the ops) on the CPU backend, forward and both gradients, and passes finite differences;
//  - the GPU kernels equal the oracle on awkward shapes (one row, one class, 1000 classes, rows
//    past a workgroup) with one-hot, smoothed and soft targets, and with NaN and ±Inf logits;
//  - PyTorch's F.cross_entropy (class indices, label smoothing, reduction 'none') agrees, values
//    and gradients;
//  - a wrong target shape is a clear error.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import type { Tensor } from '../src/node.js';

const cpu = rl.cpu as rl.Backend<any>;

/** The values of each tensor, which are then disposed. */
async function read<K extends string>(ts: Record<K, Tensor>): Promise<Record<K, Float32Array | Float64Array>> {
  const out = {} as Record<K, Float32Array | Float64Array>;
  for (const k of Object.keys(ts) as K[]) out[k] = (await ts[k].data()) as Float32Array | Float64Array;
  for (const t of new Set(Object.values<Tensor>(ts))) t.dispose();
  return out;
}

function rows(B: number, C: number, seed: number, scale = 3): Float64Array {
  const rng = new rl.Rng(seed);
  return Float64Array.from(rng.fillNormal(B * C), (v) => v * scale);
}

type Kind = 'onehot' | 'smooth' | 'soft' | 'mass';
const KINDS: Kind[] = ['onehot', 'smooth', 'soft', 'mass'];

/** One-hot, smoothed one-hot, soft (softmax of random) or unnormalised (uniform in [0, 2)) target rows. */
function targets(kind: Kind, B: number, C: number, seed: number): { t: Float64Array; y: number[] } {
  const y = Array.from({ length: B }, (_, i) => (i * 7 + seed) % C);
  const t = new Float64Array(B * C);
  if (kind === 'mass') return { t: Float64Array.from(new rl.Rng(seed).fillUniform(B * C), (v) => 2 * v), y };
  if (kind === 'soft') {
    const r = rows(B, C, seed + 1, 1);
    for (let b = 0; b < B; b++) {
      const e = Array.from(r.subarray(b * C, (b + 1) * C), Math.exp);
      const s = e.reduce((a, v) => a + v, 0);
      e.forEach((v, c) => (t[b * C + c] = v / s));
    }
    return { t, y };
  }
  const s = kind === 'smooth' ? 0.1 : 0;
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) t[b * C + c] = (c === y[b] ? 1 - s : 0) + s / C;
  return { t, y };
}

const composite = (z: Tensor, t: Tensor): Tensor => rl.neg(rl.sum(rl.mul(t, rl.logSoftmax(z, 1)), 1));

/** Per-example losses and the gradients of Σ w·loss with respect to z and t. */
function run(f: (z: Tensor, t: Tensor) => Tensor, z: Tensor, t: Tensor, w: Tensor): { loss: Tensor; dz: Tensor; dt: Tensor } {
  const loss = rl.tidy(() => f(z, t));
  const [dz, dt] = rl.grad(() => rl.sum(rl.mul(f(z, t), w)), [z, t]);
  return { loss, dz: dz!, dt: dt! };
}

const SHAPES: [number, number][] = [[1, 1], [1, 10], [5, 3], [70, 10], [3, 1000], [129, 7]];

describe('softmaxCrossEntropy', () => {
  it('the float64 oracle equals the composite −Σ t · logSoftmax(z), values and both gradients', async () => {
    for (const [B, C] of SHAPES) {
      for (const kind of KINDS) {
        const z = rl.tensor(rows(B, C, B + C), [B, C], { backend: cpu });
        const t = rl.tensor(targets(kind, B, C, 3).t, [B, C], { backend: cpu });
        const w = rl.tensor(rows(B, 1, 9), [B], { backend: cpu });
        const a = await read(run(rl.softmaxCrossEntropy, z, t, w));
        const b = await read(run(composite, z, t, w));
        for (const k of ['loss', 'dz', 'dt'] as const) {
          for (let i = 0; i < a[k].length; i++) expect(a[k][i], `${k} [${B}, ${C}] ${kind} at ${i}`).toBeCloseTo(b[k][i]!, 10);
        }
        await read({ z, t, w });
      }
    }
  });

  it('the oracle passes finite differences (float64, central, h = 1e-6)', async () => {
    const [B, C] = [4, 6];
    const z0 = rows(B, C, 11);
    const t = rl.tensor(targets('smooth', B, C, 2).t, [B, C], { backend: cpu });
    const w = rl.tensor(rows(B, 1, 12), [B], { backend: cpu });
    const L = async (zz: Float64Array): Promise<number> => {
      const z = rl.tensor(zz, [B, C], { backend: cpu });
      const { l } = await read({ l: rl.tidy(() => rl.sum(rl.mul(rl.softmaxCrossEntropy(z, t), w))), z });
      return l[0]!;
    };
    const z = rl.tensor(z0, [B, C], { backend: cpu });
    const { g } = await read({ g: rl.grad(() => rl.sum(rl.mul(rl.softmaxCrossEntropy(z, t), w)), [z])[0]!, z });
    for (let i = 0; i < B * C; i++) {
      const p = Float64Array.from(z0);
      const m = Float64Array.from(z0);
      p[i]! += 1e-6;
      m[i]! -= 1e-6;
      expect(g[i]).toBeCloseTo(((await L(p)) - (await L(m))) / 2e-6, 6);
    }
    await read({ t, w });
  });

  it('GPU kernels equal the oracle on awkward shapes, targets and logit scales', async () => {
    for (const [B, C] of SHAPES) {
      for (const kind of KINDS) {
        for (const scale of [1, 40]) {
          const zv = rows(B, C, B * C + scale, scale);
          const { t: tv } = targets(kind, B, C, 5);
          const wv = rows(B, 1, 13);
          const [g, c] = await Promise.all(
            [undefined, cpu].map(async (backend) => {
              const z = rl.tensor(zv, [B, C], { backend });
              const t = rl.tensor(tv, [B, C], { backend });
              const w = rl.tensor(wv, [B], { backend });
              const r = run(rl.softmaxCrossEntropy, z, t, w);
              await read({ z, t, w });
              return read(r);
            }),
          );
          for (const k of ['loss', 'dz', 'dt'] as const) {
            for (let i = 0; i < g![k].length; i++) {
              const want = c![k][i]!;
              expect(Math.abs(g![k][i]! - want), `${k} [${B}, ${C}] ${kind} scale ${scale} at ${i}: ${g![k][i]} vs ${want}`).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(want)) * (k === 'loss' ? Math.log(C) + scale : 1));
            }
          }
        }
      }
    }
  });

  it('NaN and ±Inf logits give the oracle\'s NaN, Inf and zeros on the GPU, forward and backward', async () => {
    const C = 4;
    const zv = Float64Array.from([
      NaN, 0, 1, 2, // a NaN in the row: NaN loss and gradient
      0, 1, NaN, 2,
      Infinity, 0, 1, 2, // +Inf: lse = +Inf
      -Infinity, 0, 1, 2, // −Inf at a class of weight 0
      -Infinity, -Infinity, -Infinity, -Infinity,
      1e30, -1e30, 0, 3, // huge, finite
    ]);
    const B = zv.length / C;
    const tv = targets('onehot', B, C, 1).t;
    rl.setNumericsCheck(false); // NaN and Inf are the expected results here
    const [g, c] = await Promise.all(
      [undefined, cpu].map(async (backend) => {
        const z = rl.tensor(zv, [B, C], { backend });
        const t = rl.tensor(tv, [B, C], { backend });
        const loss = rl.softmaxCrossEntropy(z, t);
        const [dz] = rl.grad(() => rl.sum(rl.softmaxCrossEntropy(z, t)), [z]);
        await read({ z, t });
        return read({ loss, dz: dz! });
      }),
    ).finally(() => rl.setNumericsCheck(true));
    for (const k of ['loss', 'dz'] as const) {
      for (let i = 0; i < c![k].length; i++) {
        const want = c![k][i]!;
        if (Number.isNaN(want) || !Number.isFinite(want)) expect(g![k][i], `${k} at ${i}`).toBe(want);
        else expect(g![k][i], `${k} at ${i}`).toBeCloseTo(want, 4);
      }
    }
    expect(Number.isNaN(c!.loss[0]!) && Number.isNaN(c!.loss[1]!)).toBe(true);
  });

  it('agrees with PyTorch F.cross_entropy (class indices, label smoothing), values and gradients', async (ctx) => {
    if (!existsSync('/usr/bin/python3')) return ctx.skip();
    const [B, C] = [37, 10];
    const zv = rows(B, C, 77, 4);
    for (const s of [0, 0.2]) {
      const { t, y } = targets('onehot', B, C, 4);
      const ts = t.map((v) => v * (1 - s) + s / C);
      const py = [
        'import json, sys, torch',
        'a = json.load(sys.stdin)',
        'z = torch.tensor(a["z"], dtype=torch.float64).reshape(a["B"], a["C"]).requires_grad_()',
        'l = torch.nn.functional.cross_entropy(z, torch.tensor(a["y"]), label_smoothing=a["s"], reduction="none")',
        'l.sum().backward()',
        'print(json.dumps({"loss": l.tolist(), "dz": z.grad.flatten().tolist()}))',
      ].join('\n');
      let torch: { loss: number[]; dz: number[] };
      try {
        torch = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify({ z: Array.from(zv), y, B, C, s }) }).toString());
      } catch {
        return ctx.skip(); // no torch in this interpreter
      }
      const z = rl.tensor(zv, [B, C]);
      const tt = rl.tensor(ts, [B, C]);
      const loss = rl.softmaxCrossEntropy(z, tt);
      const [dz] = rl.grad(() => rl.sum(rl.softmaxCrossEntropy(z, tt)), [z]);
      await read({ z, tt });
      const ours = await read({ loss, dz: dz! });
      for (let i = 0; i < B; i++) expect(ours.loss[i]).toBeCloseTo(torch.loss[i]!, 4);
      for (let i = 0; i < B * C; i++) expect(ours.dz[i]).toBeCloseTo(torch.dz[i]!, 5);
    }
  });

  it('refuses targets of another shape, naming both shapes', () => {
    const z = rl.tensor(new Float64Array(6), [2, 3], { backend: cpu });
    const t = rl.tensor(new Float64Array(6), [3, 2], { backend: cpu });
    expect(() => rl.softmaxCrossEntropy(z, t)).toThrow(/targets \[3, 2\] must have the logits' shape \[2, 3\]/);
    z.dispose();
    t.dispose();
  });
});
