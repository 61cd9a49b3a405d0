import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { Module } from '../src/nn/module.js';
import { LinearModel, Mlp } from './helpers/models.js';
import { checkOp, expectClose, randomValues } from './helpers/oracle.js';

const { robust } = rl;

// methods.md §2.6
const W = [[0.5, -1.0, 0.2, 0.0], [-0.3, 0.8, 0.0, 0.6], [0.1, 0.1, -0.7, -0.2]];
const b = [0.1, -0.2, 0.05];
const x26 = [0.2, 0.9, 0.5, 0.02];

const backends = (): [string, rl.Backend<any>, number][] => [
  ['webgpu', rl.getBackend(), 2e-6],
  ['cpu', rl.cpu, 1e-8],
];

async function run(backend: rl.Backend<any>, attack: 'fgsm' | 'pgd', opts: Partial<rl.robust.PgdOptions>) {
  const model = LinearModel.from(W, b, backend);
  const x = rl.tensor(x26, [1, 4], { backend });
  const r = attack === 'fgsm'
    ? await robust.fgsm(model, x, [0], { eps: opts.eps! })
    : await robust.pgd(model, x, [0], { eps: opts.eps!, steps: opts.steps!, ...opts });
  const adv = Array.from(await r.x.data());
  r.x.dispose();
  x.dispose();
  model.dispose();
  return { adv, r };
}

describe('methods.md §2.6 hand-checkable trace (linear softmax model)', () => {
  for (const [name, backend, tol] of backends()) {
    it(`FGSM on ${name}`, async () => {
      const { adv, r } = await run(backend, 'fgsm', { eps: 0.1 });
      expectClose(adv, [0.1, 1.0, 0.4, 0.12], { atol: tol, rtol: 0 }, 'FGSM x');
      expect(r.cleanCorrect[0]).toBe(0); // z = [−0.6, 0.472, −0.194]: misclassified
    });
    it(`PGD-L∞ ε 0.1, α 0.04, no random start, on ${name}`, async () => {
      const trace: [number[], number][] = [
        [[0.16, 0.94, 0.46, 0.06], 1.7893637596],
        [[0.12, 0.98, 0.42, 0.1], 1.8906940358],
        [[0.1, 1.0, 0.4, 0.12], 1.9422277559],
      ];
      for (let k = 1; k <= 3; k++) {
        const { adv, r } = await run(backend, 'pgd', { eps: 0.1, alpha: 0.04, steps: k, randomStart: false });
        expectClose(adv, trace[k - 1]![0], { atol: tol, rtol: 0 }, `step ${k} x`);
        expectClose(r.loss, [trace[k - 1]![1]], { atol: name === 'cpu' ? 1e-9 : 2e-6, rtol: 0 }, `step ${k} CE`);
      }
    });
    it(`PGD-L2 ε 0.5, α 0.3, no random start, on ${name}`, async () => {
      const trace: [number[], number][] = [
        [[0.08828434, 1, 0.42640643, 0.07524634], 0.175922],
        [[0, 1, 0.35628934, 0.13310175], 0.288868],
        [[0, 1, 0.30704437, 0.17569439], 0.333875],
      ];
      for (let k = 1; k <= 3; k++) {
        const { adv } = await run(backend, 'pgd', { eps: 0.5, alpha: 0.3, steps: k, norm: 'l2', randomStart: false });
        expectClose(adv, trace[k - 1]![0], { atol: 5e-8 + tol, rtol: 0 }, `L2 step ${k} x`);
        const norm = Math.hypot(...adv.map((v, i) => v - x26[i]!));
        expect(Math.abs(norm - trace[k - 1]![1])).toBeLessThan(1e-6);
      }
    });
  }
});

describe('fused step kernel against the float64 oracle', () => {
  const cases: [number[], number, number][] = [
    [[1, 1], 0.3, 0.1],
    [[3, 67], 0.05, 0.02],
    [[5, 1, 13, 13], 0.1, 0.03],
    [[2, 300], 2.0, 0.5], // L2: most rows inside the ball after the step
    [[130, 7], 0.01, 0.4], // many rows, short rows
  ];
  for (const [shape, eps, alpha] of cases) {
    it(`linfStep and l2Step ${JSON.stringify(shape)}`, async () => {
      const n = shape.reduce((p, q) => p * q, 1);
      const x0 = randomValues(shape, 11, 0, 1);
      const rng = new rl.Rng(5);
      const x = x0.map((v) => Math.min(1, Math.max(0, v + (rng.uniform() - 0.5) * 2 * eps)));
      const g = randomValues(shape, 13);
      for (let i = 0; i < n; i += 7) g[i] = 0; // sign(0) = 0 must hold on both
      const results: Record<string, number[]> = {};
      for (const [name, be] of backends()) {
        const [a, c, d] = [x0, x, g].map((v) => rl.tensor(v, shape, { backend: be }));
        const lin = robust.linfStep(a!, c!, d!, alpha, eps);
        const l2 = robust.l2Step(a!, c!, d!, alpha, eps);
        results[`${name}.linf`] = Array.from(await lin.data());
        results[`${name}.l2`] = Array.from(await l2.data());
        for (const t of [a, c, d, lin, l2]) t!.dispose();
      }
      expectClose(results['webgpu.linf']!, results['cpu.linf']!, { atol: 1e-6, rtol: 0 }, 'linf');
      expectClose(results['webgpu.l2']!, results['cpu.l2']!, { atol: 2e-6, rtol: 0 }, 'l2');
      // And the oracle against the formula, entry by entry, for the L∞ step.
      const sgn = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);
      const want = Array.from(x0, (o, i) => Math.min(1, Math.max(0, o + Math.min(eps, Math.max(-eps, x[i]! + alpha * sgn(g[i]!) - o)))));
      expectClose(results['cpu.linf']!, want, { atol: 1e-12, rtol: 0 }, 'linf oracle');
    });
  }
});

/** A random batch of images in [0, 1] and labels for a 3-class MLP on 2×3×3 inputs. */
function batch(B: number, seed: number) {
  const x = rl.tensor(randomValues([B, 2, 3, 3], seed, 0, 1), [B, 2, 3, 3]);
  const rng = new rl.Rng(seed + 1);
  const y = Int32Array.from({ length: B }, () => rng.int(3));
  return { x, y };
}

describe('PGD on a small MLP', () => {
  it('never leaves the ε-ball or [0, 1] (L∞ and L2, restarts, best iterate)', async () => {
    const model = new Mlp(18, 16, 3, 1);
    const { x, y } = batch(37, 3);
    const x0 = Array.from(await x.data());
    for (const [norm, eps] of [['linf', 0.05], ['l2', 0.4]] as const) {
      for (const returnBest of [false, true]) {
        const r = await robust.pgd(model, x, y, { eps, steps: 6, alpha: norm === 'linf' ? 0.02 : 0.2, norm, restarts: 2, returnBest, seed: 9 });
        const adv = Array.from(await r.x.data());
        r.x.dispose();
        for (let i = 0; i < adv.length; i++) {
          expect(adv[i]).toBeGreaterThanOrEqual(0);
          expect(adv[i]).toBeLessThanOrEqual(1);
        }
        if (norm === 'linf') {
          const worst = Math.max(...adv.map((v, i) => Math.abs(v - x0[i]!)));
          expect(worst).toBeLessThanOrEqual(eps + 1e-6);
        } else {
          for (let e = 0; e < 37; e++) {
            const d = Math.hypot(...adv.slice(e * 18, (e + 1) * 18).map((v, j) => v - x0[e * 18 + j]!));
            expect(d).toBeLessThanOrEqual(eps + 1e-5);
          }
        }
      }
    }
    x.dispose();
    model.dispose();
  });

  it('same seed gives the same adversarial examples; another seed does not', async () => {
    const model = new Mlp(18, 16, 3, 2);
    const { x, y } = batch(9, 4);
    const get = async (seed: number, start?: rl.robust.StartKind, norm: rl.robust.Norm = 'linf') => {
      const r = await robust.pgd(model, x, y, { eps: 0.1, steps: 3, alpha: 0.03, seed, start, norm });
      const v = Array.from(await r.x.data());
      r.x.dispose();
      return v;
    };
    expect(await get(7)).toEqual(await get(7));
    // Skipping the per-step bookkeeping (as training does) changes nothing about the iterates.
    const untracked = await robust.pgd(model, x, y, { eps: 0.1, steps: 3, alpha: 0.03, seed: 7, trackSteps: false });
    expect(Array.from(await untracked.x.data())).toEqual(await get(7));
    untracked.x.dispose();
    expect(await get(7)).not.toEqual(await get(8));
    for (const start of ['normal', 'madry', 'lp', 'torchattacks'] as const) {
      expect(await get(3, start, 'l2')).toEqual(await get(3, start, 'l2'));
    }
    x.dispose();
    model.dispose();
  });

  it('the input gradient an attack step uses matches the oracle and finite differences', async () => {
    const rng = new rl.Rng(21);
    const w1 = Array.from(rng.fillNormal(7 * 5, 0, 0.5));
    const w2 = Array.from(rng.fillNormal(3 * 7, 0, 0.5));
    const onehot = [1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1];
    const net = (x: rl.Tensor, a: rl.Tensor, c: rl.Tensor, h: rl.Tensor) =>
      robust.ceAscent(rl.matmulT(rl.relu(rl.matmulT(x, a, false, true)), c, false, true), h);
    await checkOp('CE of a 2-layer net w.r.t. its input', net, [
      { shape: [5, 5], values: Array.from(randomValues([5, 5], 3, 0, 1)) },
      { shape: [7, 5], values: w1, grad: false },
      { shape: [3, 7], values: w2, grad: false },
      { shape: [5, 3], values: onehot, grad: false },
    ]);
    const cw = (x: rl.Tensor, a: rl.Tensor, c: rl.Tensor, h: rl.Tensor) =>
      robust.cwAscent(rl.matmulT(rl.relu(rl.matmulT(x, a, false, true)), c, false, true), h, 50);
    await checkOp('CW of a 2-layer net w.r.t. its input', cw, [
      { shape: [5, 5], values: Array.from(randomValues([5, 5], 3, 0, 1)) },
      { shape: [7, 5], values: w1, grad: false },
      { shape: [3, 7], values: w2, grad: false },
      { shape: [5, 3], values: onehot, grad: false },
    ]);
  });

  it('a whole L2 PGD run agrees between the GPU and the float64 oracle', async () => {
    const out: number[][] = [];
    for (const [, be] of backends()) {
      const model = new Mlp(18, 16, 3, 4, be);
      const x = rl.tensor(randomValues([6, 18], 8, 0, 1), [6, 18], { backend: be });
      const r = await robust.pgd(model, x, [0, 1, 2, 0, 1, 2], { eps: 0.3, steps: 4, alpha: 0.1, norm: 'l2', seed: 5 });
      out.push(Array.from(await r.x.data()));
      r.x.dispose();
      x.dispose();
      model.dispose();
    }
    expectClose(out[0]!, out[1]!, { atol: 1e-4, rtol: 0 }, 'PGD-L2 iterate');
  });

  it("zeroGradNoise ((a)'s library): an example whose input gradient is exactly 0 moves, the others do not change", async () => {
    // relu first: an all-zero image has relu'(0) = 0 everywhere, so its input gradient is exactly 0.
    class ReluFirst extends Module {
      constructor(readonly fc: LinearModel) {
        super();
      }
      override children(): [string, Module][] {
        return [['fc', this.fc]];
      }
      forward(x: rl.Tensor): rl.Tensor {
        return this.fc.forward(rl.relu(x));
      }
    }
    const runs: number[][][] = [];
    for (const [, be] of backends()) {
      const w = randomValues([3, 6], 2);
      const model = new ReluFirst(new LinearModel(rl.tensor(w, [3, 6], { backend: be }), rl.zeros([3], { backend: be })));
      const xs = [...new Array(6).fill(0), ...randomValues([6], 4, 0.2, 0.8)];
      const x = rl.tensor(xs, [2, 6], { backend: be });
      const out: number[][] = [];
      for (const zeroGradNoise of [false, true]) {
        const r = await robust.pgd(model, x, [1, 2], { eps: 0.3, steps: 3, alpha: 0.1, norm: 'l2', start: 'none', zeroGradNoise, seed: 9 });
        out.push(Array.from(await r.x.data()));
        r.x.dispose();
      }
      const [plain, noisy] = out as [number[], number[]];
      expect(plain.slice(0, 6)).toEqual(new Array(6).fill(0)); // stuck at the zero image
      expect(Math.hypot(...noisy.slice(0, 6))).toBeGreaterThan(0.05); // noise moved it (and stays in the ball)
      expect(Math.hypot(...noisy.slice(0, 6))).toBeLessThanOrEqual(0.3 + 1e-6);
      expectClose(noisy.slice(6), plain.slice(6), { atol: 1e-6, rtol: 0 }, 'an example with a gradient is unaffected');
      runs.push(out);
      x.dispose();
      model.dispose();
    }
    // Host-drawn noise: the GPU and the oracle take the same steps.
    expectClose(runs[0]![1]!, runs[1]![1]!, { atol: 1e-4, rtol: 0 }, 'zeroGradNoise run, GPU vs oracle');
  });

  it('runs the model in eval mode, restores its mode, and gives parameters no gradient', async () => {
    const model = new Mlp(18, 8, 3, 5);
    const { x, y } = batch(4, 6);
    const before = await Promise.all(model.parameters().map((p) => p.data()));
    model.train();
    const r = await robust.pgd(model, x, y, { eps: 0.1, steps: 2, alpha: 0.05 });
    r.x.dispose();
    expect(model.modes.length).toBeGreaterThan(0);
    expect(model.modes.every((m) => m === false)).toBe(true);
    expect(model.training).toBe(true);
    const after = await Promise.all(model.parameters().map((p) => p.data()));
    expect(after).toEqual(before);
    x.dispose();
    model.dispose();
  });

  it('targeted and CW attacks move towards their goal; firstStep records the flip', async () => {
    const model = LinearModel.from(W, b);
    const x = rl.tensor([x26, [0.9, 0.1, 0.2, 0.8]].flat(), [2, 4]);
    const clean = await robust.pgd(model, x, [1, 1], { eps: 0, steps: 1, alpha: 0, randomStart: false });
    clean.x.dispose();
    const t = await robust.pgd(model, x, [1, 1], { eps: 1, steps: 20, alpha: 0.1, randomStart: false, target: [2, 2] });
    t.x.dispose();
    expect(Array.from(t.success)).toEqual([1, 1]);
    for (const s of t.firstStep) expect(s).toBeGreaterThanOrEqual(0);
    const cw = await robust.pgd(model, x, [1, 1], { eps: 1, steps: 20, alpha: 0.1, randomStart: false, loss: 'cw' });
    cw.x.dispose();
    expect(Array.from(cw.success)).toEqual([1, 1]);
    // An example already wrong at the start is flipped at step 0.
    for (let i = 0; i < 2; i++) if (!clean.cleanCorrect[i]) expect(cw.firstStep[i]).toBe(0);
    x.dispose();
    model.dispose();
  });

  it('a long PGD loop leaks nothing and keeps no tape open', async () => {
    const model = new Mlp(18, 8, 3, 6);
    const { x, y } = batch(5, 7);
    const r = await robust.pgd(model, x, y, { eps: 0.1, steps: 40, alpha: 0.01, restarts: 3, returnBest: true });
    r.x.dispose();
    x.dispose();
    model.dispose();
    // setup.ts checks tensors and GPU buffers after the test.
  });
});

describe('robustEvaluate', () => {
  it('counts an example robust only if every restart fails, and keeps per-example results', async () => {
    const model = new Mlp(18, 16, 3, 14);
    const batches = [batch(23, 30), batch(14, 31)].map((b, k) => ({ ...b, idx: Int32Array.from({ length: b.y.length }, (_, i) => 100 * k + i) }));
    const opts = { eps: 0.15, steps: 3, alpha: 0.06 };
    const all = await robust.robustEvaluate(model, batches, { type: 'pgd', ...opts, restarts: 3, seed: 5 });
    expect(all.n).toBe(37);
    expect(Array.from(all.examples.index.slice(21, 25))).toEqual([21, 22, 100, 101]);
    // Three single-restart runs drawing from the same generator see the same three starts.
    const rng = new rl.Rng(5);
    const singles: rl.robust.AttackResult[][] = [[], [], []];
    for (const b of batches) {
      for (let k = 0; k < 3; k++) {
        const r = await robust.pgd(model, b.x, b.y, { ...opts, seed: rng });
        r.x.dispose();
        singles[k]!.push(r);
      }
    }
    const flatten = (k: number, f: (r: rl.robust.AttackResult) => ArrayLike<number>) => singles[k]!.flatMap((r) => Array.from(f(r)));
    const robustK = [0, 1, 2].map((k) => flatten(k, (r) => r.success.map((s, i) => (r.cleanCorrect[i] && !s ? 1 : 0))));
    expect(Array.from(all.examples.robust)).not.toEqual(new Array(37).fill(0));
    const firstK = [0, 1, 2].map((k) => flatten(k, (r) => r.firstStep));
    for (let i = 0; i < 37; i++) {
      expect(all.examples.robust[i], `example ${i}`).toBe(robustK[0]![i]! & robustK[1]![i]! & robustK[2]![i]!);
      const steps = firstK.map((f) => f[i]!).filter((v) => v >= 0);
      expect(all.examples.firstStep[i]).toBe(steps.length ? Math.min(...steps) : -1);
      if (all.examples.robust[i]) expect(all.examples.cleanCorrect[i]).toBe(1);
    }
    const robustCount = all.examples.robust.reduce((a, v) => a + v, 0);
    expect(all.robustAccuracy).toBeCloseTo(robustCount / 37, 12);
    expect(all.robustAccuracy).toBeLessThanOrEqual(all.cleanAccuracy);
    // ε = 0: robust accuracy is clean accuracy.
    const none = await robust.robustEvaluate(model, batches, { type: 'pgd', eps: 0, steps: 2, alpha: 0.1 });
    expect(Array.from(none.examples.robust)).toEqual(Array.from(none.examples.cleanCorrect));
    for (const b of batches) b.x.dispose();
    model.dispose();
  });
});

describe('bad input fails before any GPU work', () => {
  const model = () => new Mlp(18, 4, 3, 7);
  it('rejects bad options, labels, shapes and ranges with clear errors', async () => {
    const m = model();
    const { x, y } = batch(3, 8);
    await expect(robust.pgd(m, x, y, { eps: -0.1, steps: 3 })).rejects.toThrow(/eps -0.1 must be a finite number >= 0/);
    await expect(robust.pgd(m, x, y, { eps: 0.1, steps: 0 })).rejects.toThrow(/steps 0 must be an integer >= 1/);
    await expect(robust.pgd(m, x, y, { eps: 0.1, steps: 2, restarts: 0 })).rejects.toThrow(/restarts/);
    await expect(robust.pgd(m, x, [0, 1], { eps: 0.1, steps: 2 })).rejects.toThrow(/2 labels for a batch of 3/);
    await expect(robust.pgd(m, x, [0, 1, -1], { eps: 0.1, steps: 2 })).rejects.toThrow(/label -1 at index 2/);
    await expect(robust.pgd(m, x, [0, 1, 3], { eps: 0.1, steps: 2, numClasses: 3 })).rejects.toThrow(/label 3 at index 2 is outside \[0, 3\)/);
    await expect(robust.pgd(m, x, [0, 1, 3], { eps: 0.1, steps: 2 })).rejects.toThrow(/label 3 at index 2 is outside \[0, 3\)/);
    await expect(robust.fgsm(m, x, y, { eps: 0.1, target: [0, 0] })).rejects.toThrow(/2 targets for a batch of 3/);
    const flat = rl.tensor([0.1, 0.2], [2]);
    await expect(robust.pgd(m, flat, [0, 1], { eps: 0.1, steps: 2 })).rejects.toThrow(/non-empty batch/);
    const big = rl.tensor(randomValues([3, 18], 1, 0, 1.5), [3, 18]);
    await expect(robust.pgd(m, big, y, { eps: 0.1, steps: 2 })).rejects.toThrow(/inputs must lie in \[0, 1\]/);
    const ints = rl.tensor([0, 1, 0, 1], [2, 2], { dtype: 'int32' });
    await expect(robust.pgd(m, ints, [0, 1], { eps: 0.1, steps: 2 })).rejects.toThrow(/float32/);
    for (const t of [x, flat, big, ints]) t.dispose();
    m.dispose();
  });

  it('rejects a model whose output does not depend on its input', async () => {
    class Constant extends Module {
      forward(x: rl.Tensor): rl.Tensor {
        return rl.zeros([x.shape[0]!, 3]);
      }
    }
    const m = new Constant();
    const { x, y } = batch(2, 9);
    await expect(robust.pgd(m, x, y, { eps: 0.1, steps: 2 })).rejects.toThrow(/does not depend differentiably/);
    x.dispose();
    m.dispose();
  });
});
