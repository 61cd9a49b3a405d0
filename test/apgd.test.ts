import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { identity, oneHotRows, exampleRng } from '../src/robust/rows.js';
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
      const runs: [rl.robust.Norm, number, number][] = [['linf', 0.1, 37], ['l2', 0.5, 10], ...(name === 'cpu' ? [['linf', 0.3, 100] as [rl.robust.Norm, number, number]] : [])];
      for (const [norm, eps, steps] of runs) {
        const geometry = robust.stepGeometry(norm, eps, x0);
        const start = rl.tidy(() => rl.mul(x0, 1));
        const r = await robust.apgdRun(model, start, { steps, rho: 0.75, geometry, objective: (z) => robust.ceAscent(z, oy), onehotY: oy, eye });
        const halvings = robust.apgdCheckpoints(steps).length;
        expectClose(await values(r.stepSize), new Array(4).fill((2 * eps) / 2 ** halvings), { atol: 0, rtol: 1e-7 }, `${norm} N=${steps}`);
        expectClose(await values(r.best), await x0.data(), { atol: 0, rtol: 0 }, 'x never moves');
        expect(await values(r.fooled)).toEqual([0, 0, 0, 0]);
        for (const u of [r.adversarial, r.bestLoss]) u.dispose();
        robust.disposeGeometry(geometry);
      }
      for (const u of [x0, eye, oy]) u.dispose();
      model.dispose();
    });
  }
});
