import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { identity, labelRows, oneHotRows, exampleRng } from '../src/robust/rows.js';
import { LinearModel } from './helpers/models.js';
import { checkOp, expectClose, randomValues } from './helpers/oracle.js';
import { ReluShifted, TwoLayer, distances, hasTorch, predictedBatch, predictions, rows } from './helpers/attack-models.js';

const { robust } = rl;

const backends = (): [string, rl.Backend<any>][] => [
  ['webgpu', rl.getBackend()],
  ['cpu', rl.cpu],
];

async function values(t: rl.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe('DLR losses', () => {
  // Rows (sorted in brackets) and hand-computed values:
  //  z = [1, 3, 2, 0.5], y = 0 [3, 2, 1, 0.5]: DLR = −(1 − 3)/(3 − 1) = 1; t = 2: −(1 − 2)/(3 − (1 + 0.5)/2) = 1/2.25
  //  z = [4, −1, 2, 2],  y = 0 [4, 2, 2, −1]: DLR = −(4 − 2)/(4 − 2) = −1 (a tie keeps both 2s); t = 1: −(4 + 1)/(4 − (2 − 1)/2) = −5/3.5
  //  z = [0, 0, 5, 1],   y = 2 [5, 1, 0, 0]: DLR = −(5 − 1)/(5 − 0) = −0.8; t = 3: −(5 − 1)/(5 − 0) = −0.8
  const z = [[1, 3, 2, 0.5], [4, -1, 2, 2], [0, 0, 5, 1]];
  const y = [0, 0, 2];
  const t = [2, 1, 3];
  const dlr = [1, -1, -0.8];
  const dlrT = [1 / 2.25, -5 / 3.5, -0.8];
  for (const [name, be] of backends()) {
    it(`match hand-computed values, and do not change when the logits are shifted and scaled (${name})`, async () => {
      // The +1e-12 of the denominators shows at the 1e-12 level in float64.
      const tol = { atol: name === 'cpu' ? 1e-11 : 1e-6, rtol: 0 };
      for (const [scale, shift] of [[1, 0], [3, 7], [0.5, -3]] as const) {
        const zt = rl.tensor(z.flat().map((v) => scale * v + shift), [3, 4], { backend: be });
        const oy = oneHotRows(y, 4, be);
        const ot = oneHotRows(t, 4, be);
        expectClose(await values(robust.dlrAscent(zt, oy)), dlr, tol, `DLR ×${scale} +${shift}`);
        expectClose(await values(robust.dlrTargetedAscent(zt, oy, ot)), dlrT, tol, `DLR-T ×${scale} +${shift}`);
        const top = robust.topLogits(zt, 4);
        const sorted = await Promise.all(top.map(values));
        expectClose(sorted.flat().map((v) => (v - shift) / scale), [3, 4, 5, 2, 2, 1, 1, 2, 0, 0.5, -1, 0], tol, 'top logits');
        const m = await values(robust.logitMargin(zt, oy));
        expectClose(m.map((v) => v / scale), [-2, 2, 4], tol, 'margin');
        for (const u of [zt, oy, ot]) u.dispose();
      }
    });
  }

  it('gradients match the float64 oracle and finite differences (rows without ties)', async () => {
    const onehot = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0];
    const target = [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    const logits = { shape: [3, 5], values: Array.from(randomValues([3, 5], 17)) };
    await checkOp('DLR', (zz, h) => robust.dlrAscent(zz, h), [logits, { shape: [3, 5], values: onehot, grad: false }]);
    await checkOp('DLR-T', (zz, h, tt) => robust.dlrTargetedAscent(zz, h, tt), [
      logits,
      { shape: [3, 5], values: onehot, grad: false },
      { shape: [3, 5], values: target, grad: false },
    ]);
  });

  it('refuse too few classes', () => {
    const z2 = rl.tensor([1, 2, 3, 4], [2, 2]);
    const z3 = rl.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const h2 = oneHotRows([0, 1], 2, z2.backend);
    const h3 = oneHotRows([0, 1], 3, z3.backend);
    expect(() => robust.dlrAscent(z2, h2)).toThrow(/dlr: needs logits \[B, C\] with at least 3 classes, got \[2, 2\]/);
    expect(() => robust.dlrTargetedAscent(z3, h3, h3)).toThrow(/dlr-targeted: needs logits \[B, C\] with at least 4 classes/);
    for (const u of [z2, z3, h2, h3]) u.dispose();
  });
});

describe('APGD step-size schedule', () => {
  it('checkpoints follow p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06) for N = 100, 200, 500', () => {
    for (const N of [100, 200, 500]) {
      const want: number[] = [];
      let [prev, p] = [0, 0.22];
      while (p <= 1 + 1e-9) {
        want.push(Math.round(p * N));
        [prev, p] = [p, p + Math.max(p - prev - 0.03, 0.06)];
      }
      expect(robust.apgdCheckpoints(N), `N = ${N}`).toEqual(want);
    }
    expect(robust.apgdCheckpoints(100)).toEqual([22, 41, 57, 70, 80, 87, 93, 99]);
  });

  it("rounds short runs the reference's way (floors, each count at least 1)", () => {
    // N = 37: first ⌊8.14⌋ = 8, shrink ⌊1.11⌋ = 1, shortest ⌊2.22⌋ = 2 → intervals 8, 7, 6, 5, 4, 3, 2, 2.
    expect(robust.apgdCheckpoints(37)).toEqual([8, 15, 21, 26, 30, 33, 35, 37]);
    // N = 10: first 2, shrink and shortest round down to 0 and are lifted to 1.
    expect(robust.apgdCheckpoints(10)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(robust.apgdCheckpoints(3)).toEqual([1, 2, 3]);
  });

  for (const [name, be] of backends()) {
    it(`a loss that never rises halves every example's step at every checkpoint, and x stays put (${name})`, async () => {
      // relu(x − 2) is 0 on [0, 1]: the logits are the bias, the input gradient exactly 0.
      const model = new ReluShifted(2, LinearModel.from([[0.3, -0.2, 0.1], [0.1, 0.4, -0.3], [-0.5, 0.2, 0.2]], [0.2, 0.1, -0.1], be));
      const x0 = rl.tensor(randomValues([4, 3], 5, 0.2, 0.8), [4, 3], { backend: be });
      const eye = identity(3, be);
      const oy = oneHotRows([0, 0, 0, 0], 3, be);
      const ly = labelRows([0, 0, 0, 0], be);
      const runs: [rl.robust.Norm, number, number][] = [['linf', 0.1, 37], ['l2', 0.5, 10], ...(name === 'cpu' ? [['linf', 0.3, 100] as [rl.robust.Norm, number, number]] : [])];
      for (const [norm, eps, steps] of runs) {
        const geometry = robust.stepGeometry(norm, eps, x0);
        const start = rl.tidy(() => rl.mul(x0, 1));
        const r = await robust.apgdRun(model, start, { steps, rho: 0.75, geometry, objective: (z) => robust.ceAscent(z, oy), labels: ly });
        const halvings = robust.apgdCheckpoints(steps).length;
        expectClose(await values(r.stepSize), new Array(4).fill((2 * eps) / 2 ** halvings), { atol: 0, rtol: 1e-7 }, `${norm} N=${steps}`);
        expectClose(await values(r.best), await x0.data(), { atol: 0, rtol: 0 }, 'x never moves');
        expect(await values(r.fooled)).toEqual([0, 0, 0, 0]);
        for (const u of [r.adversarial, r.bestLoss]) u.dispose();
        robust.disposeGeometry(geometry);
      }
      for (const u of [x0, eye, oy, ly]) u.dispose();
      model.dispose();
    });
  }
});

describe('APGD against a PyTorch transcription (float64)', () => {
  const [B, D, H, C, steps] = [6, 12, 10, 5, 25];
  const configs: [rl.robust.Norm, number, rl.robust.ApgdLoss][] = [
    ['linf', 0.1, 'ce'], ['linf', 0.1, 'dlr'], ['linf', 0.1, 'dlr-targeted'],
    ['l2', 0.35, 'ce'], ['l2', 0.35, 'dlr'], ['l2', 0.35, 'dlr-targeted'],
  ];

  /** One run per config on a backend, from the reference's random start (host-drawn, so the same on both). */
  async function ours(be: rl.Backend<any>) {
    const model = new TwoLayer(D, H, C, 3, be);
    const { x, y, values: xv } = await predictedBatch(model, [B, D], 4, be);
    const target = Array.from(y, (v) => (v + 2) % C);
    const eye = identity(C, be);
    const [oy, ot, ly] = [oneHotRows(y, C, be), oneHotRows(target, C, be), labelRows(y, be)];
    const out = [];
    for (const [norm, eps, loss] of configs) {
      const geometry = robust.stepGeometry(norm, eps, x);
      const start = robust.apgdStart(x, norm, eps, Array.from(y, (_, i) => exampleRng(7, norm + loss, i)));
      const startValues = Array.from(await start.data());
      const r = await robust.apgdRun(model, start, { steps, rho: 0.75, geometry, objective: robust.apgdObjective(loss, oy, ot, eye), labels: ly });
      out.push({
        payload: { ...(await model.weights()), x: rows(xv, D), y: Array.from(y), target, start: rows(startValues, D), eps, norm, steps, rho: 0.75, loss },
        best: await values(r.best), bestLoss: await values(r.bestLoss), stepSize: await values(r.stepSize),
        fooled: await values(r.fooled), adversarial: await values(r.adversarial),
      });
      robust.disposeGeometry(geometry);
    }
    for (const u of [x, eye, oy, ot, ly]) u.dispose();
    model.dispose();
    return out;
  }

  it.runIf(hasTorch)('every loss and norm: the float64 oracle agrees to 1e-9, the GPU to float32 precision', async () => {
    const cpu = await ours(rl.cpu);
    const gpu = await ours(rl.getBackend());
    const torch = JSON.parse(execFileSync('/usr/bin/python3', ['test/helpers/apgd_torch.py'], { input: JSON.stringify(cpu.map((r) => r.payload)) }).toString());
    configs.forEach(([norm, , loss], k) => {
      const what = `${norm} ${loss}`;
      const ref = torch[k];
      expect(cpu[k]!.fooled, `${what}: fooled (oracle)`).toEqual(ref.fooled);
      expect(gpu[k]!.fooled, `${what}: fooled (GPU)`).toEqual(ref.fooled);
      expect(ref.fooled.some((f: number) => f === 0), `${what}: some example survives`).toBe(true);
      // An example's trajectory after it is fooled can sit where the DLR gradient is 0 up to rounding
      // (its label third in line), so iterates are compared only for examples never fooled.
      for (let e = 0; e < B; e++) {
        if (ref.fooled[e]) continue;
        const row = (v: number[]) => v.slice(e * D, (e + 1) * D);
        expectClose(row(cpu[k]!.best), row(ref.best), { atol: 1e-9, rtol: 0 }, `${what}: best point of example ${e} (oracle)`);
        expectClose([cpu[k]!.bestLoss[e]!], [ref.bestLoss[e]], { atol: 1e-9, rtol: 1e-9 }, `${what}: best loss (oracle)`);
        expect(cpu[k]!.stepSize[e], `${what}: step size (oracle)`).toBe(ref.stepSize[e]);
        // In float32 a loss on a plateau (the best point found, iterates circling it) often repeats
        // exactly where float64 still sees tiny rises, so the GPU may halve its step at other
        // checkpoints; the best loss and point it reaches are the same to float32 precision.
        expectClose([gpu[k]!.bestLoss[e]!], [ref.bestLoss[e]], { atol: 1e-6, rtol: 1e-6 }, `${what}: best loss (GPU)`);
        expectClose(row(gpu[k]!.best), row(ref.best), { atol: 1e-3, rtol: 0 }, `${what}: best point of example ${e} (GPU)`);
      }
    });
    expect(torch.some((r: { fooled: number[] }) => r.fooled.includes(1)), 'some runs fool some examples').toBe(true);
    // The step sizes differ between examples: the decisions really are per example.
    expect(new Set(cpu.flatMap((r) => r.stepSize)).size).toBeGreaterThan(3);
  });
});

describe('APGD on a linear model reaches the closed-form worst case', () => {
  // Two classes, z = W·x + b: the margin z_y − z_other is v·x + c with v = w_y − w_other, and the
  // cross-entropy is a decreasing function of it, so the best point is the margin's minimiser.
  const W = [[0.9, -1.3, 0.4, 0.0, 2.1, -0.6], [-0.5, 0.7, 0.4, 1.2, -0.8, 0.3]];
  const b = [0.2, -0.1];
  const d = 6;
  const margin = (x: number[], y: number) => {
    const z = W.map((w, c) => w.reduce((s, wi, j) => s + wi * x[j]!, b[c]!));
    return z[y]! - z[1 - y]!;
  };
  const direction = (y: number) => W[y]!.map((w, j) => w - W[1 - y]![j]!);

  /** APGD-CE from the reference's random start on n examples in [lo, hi]; the best points and flags. */
  async function run(be: rl.Backend<any>, norm: rl.robust.Norm, eps: number, n: number, [lo, hi]: [number, number], steps: number) {
    const model = LinearModel.from(W, b, be);
    const xv = Array.from(randomValues([n, d], 11, lo, hi), Math.fround);
    const x = rl.tensor(xv, [n, d], { backend: be });
    const y = (await predictions(model, x)) as number[];
    const eye = identity(2, be);
    const oy = oneHotRows(y, 2, be);
    const ly = labelRows(y, be);
    const geometry = robust.stepGeometry(norm, eps, x);
    const start = robust.apgdStart(x, norm, eps, y.map((_, i) => exampleRng(3, norm, i)));
    const r = await robust.apgdRun(model, start, { steps, rho: 0.75, geometry, objective: (z) => robust.ceAscent(z, oy), labels: ly });
    const [best, fooled] = [await values(r.best), await values(r.fooled)];
    for (const u of [r.adversarial, r.bestLoss, r.stepSize, x, eye, oy, ly]) u.dispose();
    robust.disposeGeometry(geometry);
    model.dispose();
    const example = (e: number) => ({ x: xv.slice(e * d, (e + 1) * d), best: best.slice(e * d, (e + 1) * d), v: direction(y[e]!), y: y[e]! });
    return { example, fooled };
  }

  for (const [name, be] of backends()) {
    it(`L∞: every coordinate moves ε against the margin's weight sign, clipped to [0, 1] (${name})`, async () => {
      const eps = 0.12;
      const { example, fooled } = await run(be, 'linf', eps, 8, [0, 1], 20);
      for (let e = 0; e < 8; e++) {
        const { x, best, v, y } = example(e);
        const worst = x.map((xi, j) => Math.min(1, Math.max(0, xi - eps * Math.sign(v[j]!))));
        expectClose([margin(best, y)], [margin(worst, y)], { atol: 1e-6, rtol: 0 }, `worst margin of example ${e}`);
        // Where v_j = 0 (the third input) the margin does not depend on x_j: any value is a worst case.
        expectClose(best.filter((_, j) => v[j] !== 0), worst.filter((_, j) => v[j] !== 0), { atol: 1e-6, rtol: 0 }, `worst point of example ${e}`);
        expect(fooled[e], `example ${e} fooled iff its worst margin is negative`).toBe(margin(worst, y) < 0 ? 1 : 0);
      }
      expect(new Set(fooled).size, 'some examples robust, some broken').toBe(2);
    });

    it(`L2, away from the box: the best point is x − ε·v/‖v‖ (${name})`, async () => {
      const eps = 0.15;
      const { example } = await run(be, 'l2', eps, 5, [0.2, 0.8], 100);
      for (let e = 0; e < 5; e++) {
        const { x, best, v, y } = example(e);
        const nv = Math.hypot(...v);
        expectClose([margin(best, y)], [margin(x, y) - eps * nv], { atol: 1e-4, rtol: 0 }, `worst margin of example ${e}`);
        expectClose(best, x.map((xi, j) => xi - (eps * v[j]!) / nv), { atol: 5e-3, rtol: 0 }, `worst point of example ${e}`);
      }
    });
  }
});

describe('apgd() on a batch', () => {
  const [D, C] = [18, 5];
  const batchOf = async (model: TwoLayer, n: number, seed: number, be?: rl.Backend<any>) => {
    const b = await predictedBatch(model, [n, 2, 3, 3], seed, be);
    // Two labels the model gets wrong: they count as broken and are left as they are.
    b.y[0] = (b.y[0]! + 1) % C;
    b.y[1] = (b.y[1]! + 1) % C;
    return b;
  };

  it('returns misclassified points inside the ball and the box, clean inputs elsewhere (every loss, both norms)', async () => {
    const model = new TwoLayer(D, 12, C, 21);
    const { x, y, values: xv } = await batchOf(model, 14, 22);
    model.train();
    for (const [norm, eps] of [['linf', 0.08], ['l2', 0.4]] as const) {
      for (const loss of ['ce', 'dlr', 'dlr-targeted'] as const) {
        const seen = model.modes.length;
        const r = await robust.apgd(model, x, y, { eps, norm, loss, steps: 12, targets: 2, seed: 4 });
        // Eval mode throughout, the caller's mode restored.
        expect(model.modes.slice(seen).every((m) => m === false)).toBe(true);
        expect(model.training).toBe(true);
        const pred = await predictions(model, r.x);
        const adv = await values(r.x);
        const dist = distances(adv, xv, D);
        expect(Array.from(r.cleanCorrect.slice(0, 2))).toEqual([0, 0]);
        for (let e = 0; e < 14; e++) {
          const what = `${norm} ${loss} example ${e}`;
          expect(r.success[e], what).toBe(pred[e] !== y[e] ? 1 : 0);
          expect(dist[norm][e]!, what).toBeLessThanOrEqual(eps + 1e-6);
          if (!r.success[e] || !r.cleanCorrect[e]) expect(dist.linf[e], `${what}: left clean`).toBe(0);
        }
        expect(adv.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(r.success.slice(2).some((s) => s === 1), `${norm} ${loss} breaks some`).toBe(true);
        expect(r.success.slice(2).some((s) => s === 0), `${norm} ${loss} leaves some`).toBe(true);
      }
    }
    x.dispose();
    model.dispose();
  });

  it('one random stream per example: the same seed gives the same result, alone or in any batch, on either backend', async () => {
    const results: number[][] = [];
    for (const be of [rl.cpu, rl.getBackend()]) {
      const model = new TwoLayer(D, 12, C, 23, be);
      const { x, y } = await batchOf(model, 9, 24, be);
      const full = await robust.apgd(model, x, y, { eps: 0.1, steps: 10, seed: 5, restarts: 2 });
      const again = await robust.apgd(model, x, y, { eps: 0.1, steps: 10, seed: 5, restarts: 2 });
      expect(Array.from(full.success)).toEqual(Array.from(again.success));
      expectClose(await full.x.data(), await values(again.x), { atol: 0, rtol: 0 }, 'same seed, same points');
      // Examples 3, 5 and 8 alone: the same outcome as in the whole batch.
      const pick = [3, 5, 8];
      const xs = rl.tidy(() => rl.gather(x, rl.tensor(pick, [3], { dtype: 'int32', backend: be }), 0));
      const part = await robust.apgd(model, xs, pick.map((i) => y[i]!), { eps: 0.1, steps: 10, seed: 5, restarts: 2, indices: pick });
      expect(Array.from(part.success)).toEqual(pick.map((i) => full.success[i]));
      expectClose(await values(part.x), (await full.x.data()).filter((_, j) => pick.includes(Math.floor(j / D))), { atol: 0, rtol: 0 }, 'the same points');
      // More restarts never break fewer examples (the first restarts are the same runs).
      const more = await robust.apgd(model, x, y, { eps: 0.1, steps: 10, seed: 5, restarts: 4 });
      more.x.dispose();
      full.success.forEach((s, i) => s && expect(more.success[i], `example ${i}`).toBe(1));
      results.push(Array.from(full.success));
      for (const t of [x, xs, full.x]) t.dispose();
      model.dispose();
    }
    expect(results[0]).toEqual(results[1]);
  });
});

describe('apgd(): bad input fails before any GPU work', () => {
  it('names the option, the label or the shape, and what to do', async () => {
    const model = new TwoLayer(18, 6, 5, 31);
    const { x, y } = await predictedBatch(model, [3, 18], 32);
    model.modes.length = 0;
    const attack = (o: Partial<rl.robust.ApgdOptions>, xx: rl.Tensor = x, yy: ArrayLike<number> = y) => robust.apgd(model, xx, yy, { eps: 0.1, ...o });
    await expect(attack({ eps: -0.1 })).rejects.toThrow(/apgd: eps -0.1 must be a finite number >= 0/);
    await expect(attack({ eps: NaN })).rejects.toThrow(/eps NaN/);
    await expect(attack({ steps: 0 })).rejects.toThrow(/steps 0 must be an integer >= 1/);
    await expect(attack({ restarts: 1.5 })).rejects.toThrow(/restarts 1.5/);
    await expect(attack({ rho: 1 })).rejects.toThrow(/rho 1 must lie in \(0, 1\)/);
    await expect(attack({ norm: 'l1' as rl.robust.Norm })).rejects.toThrow(/norm 'l1' must be 'linf' or 'l2'/);
    await expect(attack({ loss: 'cw' as rl.robust.ApgdLoss })).rejects.toThrow(/loss 'cw' must be 'ce', 'dlr' or 'dlr-targeted'/);
    await expect(attack({}, x, [0, 1])).rejects.toThrow(/2 labels for a batch of 3/);
    await expect(attack({}, x, [0, 1, -2])).rejects.toThrow(/label -2 at index 2/);
    await expect(attack({ numClasses: 5 }, x, [0, 1, 5])).rejects.toThrow(/label 5 at index 2 is outside \[0, 5\)/);
    await expect(attack({ indices: [0, 1] })).rejects.toThrow(/2 indices for a batch of 3/);
    await expect(attack({ indices: [0, 1, 2.5] })).rejects.toThrow(/index 2.5 at position 2 must be an integer >= 0/);
    await expect(attack({ batchSize: 0 })).rejects.toThrow(/batchSize 0 must be an integer >= 1/);
    await expect(attack({ loss: 'dlr-targeted', targets: 5, numClasses: 5 })).rejects.toThrow(/5 target classes asked for, but a 5-class model has only 4/);
    expect(model.modes, 'the model never ran').toEqual([]);
    // Checks that need the data or the model's output: still before the attack starts.
    const big = rl.tensor(randomValues([3, 18], 1, 0, 1.5), [3, 18]);
    await expect(attack({}, big)).rejects.toThrow(/apgd: inputs must lie in \[0, 1\].*rescale the data first/);
    const wide = rl.tensor(randomValues([3, 20], 1, 0, 1), [3, 20]);
    await expect(attack({}, wide)).rejects.toThrow(/apgd: the model does not accept a batch of shape \[3, 20\]: matmul: inner dimensions differ/);
    await expect(attack({}, x, [0, 1, 7])).rejects.toThrow(/label 7 at index 2 is outside \[0, 5\)/);
    const binary = new TwoLayer(18, 6, 2, 33);
    await expect(robust.apgd(binary, x, [0, 1, 0], { eps: 0.1, loss: 'dlr' })).rejects.toThrow(/the DLR loss needs at least 3 classes .* the model has 2; use loss 'ce'/);
    const ints = rl.tensor([0, 1, 0, 1], [2, 2], { dtype: 'int32' });
    await expect(attack({}, ints, [0, 1])).rejects.toThrow(/inputs must be float32/);
    for (const t of [x, big, wide, ints]) t.dispose();
    model.dispose();
    binary.dispose();
  });
});
