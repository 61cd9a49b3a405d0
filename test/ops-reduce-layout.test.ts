import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { checkOp } from './helpers/oracle.js';

describe('reductions against the float64 oracle', () => {
  const cases: [string, (x: rl.Tensor) => rl.Tensor, number[]][] = [
    ['sum all', (x) => rl.sum(x), [3, 5, 7]],
    ['sum axis 1', (x) => rl.sum(x, 1), [3, 5, 7]],
    ['sum axes 0,2 keepdims', (x) => rl.sum(x, [0, 2], true), [3, 5, 7]],
    ['sum long row (two-pass)', (x) => rl.sum(x), [50_021]],
    ['sum long column (two-pass)', (x) => rl.sum(x, 0), [3001, 2]],
    ['mean last', (x) => rl.mean(x, -1), [4, 13]],
    ['max axis 0', (x) => rl.max(x, 0), [6, 5]],
    ['min axis 1', (x) => rl.min(x, 1), [6, 5]],
    ['variance', (x) => rl.variance(x, 1), [3, 17]],
    ['logsumexp', (x) => rl.logsumexp(x, 1), [4, 11]],
    ['softmax', (x) => rl.softmax(x, 1), [4, 11]],
    ['logSoftmax', (x) => rl.logSoftmax(x, -1), [1, 10]],
    ['reduce over size-1 axis', (x) => rl.sum(x, 1), [5, 1, 3]],
  ];
  for (const [name, fn, shape] of cases) {
    it(name, async () => {
      await checkOp(name, fn, [{ shape }], { tol: { rtol: 1e-4, atol: 1e-4 } });
    });
  }

  it('max splits the gradient between ties', async () => {
    await checkOp('max ties', (x) => rl.max(x, 1), [{ shape: [2, 4], values: [1, 3, 3, 0, 2, 2, 2, 2] }], { finiteDiff: false });
    const x = rl.tensor([[1, 3, 3, 0]]);
    const [g] = rl.grad(() => rl.sum(rl.max(x, 1)), [x]);
    expect(Array.from(await g!.data())).toEqual([0, 0.5, 0.5, 0]);
    x.dispose();
    g!.dispose();
  });

  it('logsumexp is stable for huge logits', async () => {
    const x = rl.tensor([[1000, 1000], [-1000, -1001]]);
    const y = rl.logsumexp(x, 1);
    const v = await y.data();
    expect(v[0]).toBeCloseTo(1000 + Math.log(2), 3);
    expect(v[1]).toBeCloseTo(-1000 + Math.log(1 + Math.exp(-1)), 3);
    x.dispose();
    y.dispose();
  });

  it('argmax returns int32 indices of the first maximum', async () => {
    const x = rl.tensor([[0, 5, 5, 1], [-3, -2, -9, -2]]);
    const a = rl.argmax(x, 1);
    expect(a.dtype).toBe('int32');
    expect(Array.from(await a.data())).toEqual([1, 1]);
    const b = rl.argmax(x, 0);
    expect(Array.from(await b.data())).toEqual([0, 0, 0, 0]);
    for (const t of [x, a, b]) t.dispose();
  });
});

describe('layout ops', () => {
  it('permute / transpose', async () => {
    await checkOp('permute', (x) => rl.permute(x, [2, 0, 1]), [{ shape: [2, 3, 5] }]);
    await checkOp('transpose', (x) => rl.transpose(x), [{ shape: [4, 7] }]);
  });
  it('reshape shares storage and tracks gradients', async () => {
    await checkOp('reshape', (x) => rl.mul(rl.reshape(x, [-1, 2]), rl.reshape(x, [-1, 2])), [{ shape: [3, 4] }]);
  });
  it('slice with steps and negative indices', async () => {
    await checkOp('slice', (x) => rl.slice(x, [1, -4], [undefined, 7], [2, 3]), [{ shape: [5, 9] }]);
  });
  it('concat and stack', async () => {
    await checkOp('concat', (a, b) => rl.concat([a, b, a], 1), [{ shape: [2, 3] }, { shape: [2, 1] }]);
    await checkOp('stack', (a, b) => rl.stack([a, b], 0), [{ shape: [3] }, { shape: [3] }]);
  });
  it('pad', async () => {
    await checkOp('pad', (x) => rl.pad(x, [[1, 0], [2, 3]], 0.5), [{ shape: [2, 3] }]);
  });
  it('broadcastTo', async () => {
    await checkOp('broadcastTo', (x) => rl.broadcastTo(x, [4, 3, 5]), [{ shape: [3, 1] }]);
  });
  it('gather and its adjoint (repeated indices accumulate)', async () => {
    await checkOp('gather', (x, i) => rl.gather(x, i, 1), [{ shape: [3, 5, 2] }, { shape: [6], values: [4, 0, 4, 2, 1, 4], dtype: 'int32' }]);
  });
});

describe('matmul', () => {
  const cases: [number[], number[]][] = [
    [[1, 1], [1, 1]], [[3, 5], [5, 7]], [[17, 13], [13, 31]], [[2, 9, 4], [2, 4, 3]], [[3, 6, 5], [5, 2]], [[65, 33], [33, 67]],
  ];
  for (const [sa, sb] of cases) {
    it(`${JSON.stringify(sa)} · ${JSON.stringify(sb)}`, async () => {
      await checkOp('matmul', rl.matmul, [{ shape: sa }, { shape: sb }], { tol: { rtol: 1e-4, atol: 1e-4 } });
    });
  }
  it('transposed operands without copies', async () => {
    await checkOp('aᵀb', (a, b) => rl.matmulT(a, b, true, false), [{ shape: [5, 3] }, { shape: [5, 4] }]);
    await checkOp('abᵀ', (a, b) => rl.matmulT(a, b, false, true), [{ shape: [3, 5] }, { shape: [4, 5] }]);
    await checkOp('aᵀbᵀ', (a, b) => rl.matmulT(a, b, true, true), [{ shape: [2, 5, 3] }, { shape: [2, 4, 5] }]);
  });
});
