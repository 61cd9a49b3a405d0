import { describe, it } from 'vitest';
import * as rl from '../src/node.js';
import { checkOp, randomValues } from './helpers/oracle.js';

const positive = (shape: number[], seed: number) => Array.from(randomValues(shape, seed, 0.2, 3));

describe('unary ops against the float64 oracle', () => {
  const shapes = [[1], [7], [3, 5], [2, 3, 67]];
  const cases: [string, (x: rl.Tensor) => rl.Tensor, boolean?][] = [
    ['neg', rl.neg], ['abs', rl.abs], ['exp', rl.exp], ['relu', rl.relu], ['sigmoid', rl.sigmoid],
    ['tanh', rl.tanh], ['square', rl.square], ['affine', (x) => rl.affine(x, -2.5, 0.75)],
    ['clamp', (x) => rl.clamp(x, -0.5, 0.7)],
    ['log', rl.log, true], ['sqrt', rl.sqrt, true], ['reciprocal', rl.reciprocal, true], ['rsqrt', rl.rsqrt, true],
  ];
  for (const [name, fn, pos] of cases) {
    it(name, async () => {
      for (const shape of shapes) {
        await checkOp(`${name} ${JSON.stringify(shape)}`, fn, [{ shape, values: pos ? positive(shape, 3) : undefined }]);
      }
    });
  }
  it('sign and step have no gradient but the right values', async () => {
    await checkOp('sign', rl.sign, [{ shape: [4, 9] }], { finiteDiff: false });
    await checkOp('step', rl.step, [{ shape: [4, 9] }], { finiteDiff: false });
  });
});

describe('binary ops with broadcasting', () => {
  const pairs: [number[], number[]][] = [
    [[5], [5]], [[3, 4], [4]], [[3, 1], [1, 4]], [[2, 3, 5], [3, 1]], [[1], [7, 3]], [[2, 1, 3, 1], [5, 1, 4]], [[13, 17], []],
  ];
  const cases: [string, (a: rl.Tensor, b: rl.Tensor) => rl.Tensor, boolean?][] = [
    ['add', rl.add], ['sub', rl.sub], ['mul', rl.mul], ['div', rl.div, true], ['pow', rl.pow, true],
    ['maximum', rl.maximum], ['minimum', rl.minimum],
  ];
  for (const [name, fn, pos] of cases) {
    it(name, async () => {
      for (const [sa, sb] of pairs) {
        await checkOp(`${name} ${JSON.stringify(sa)}·${JSON.stringify(sb)}`, fn, [
          { shape: sa, values: pos ? positive(sa, 5) : undefined },
          { shape: sb, values: pos ? positive(sb, 6) : undefined },
        ]);
      }
    });
  }
  it('comparisons', async () => {
    for (const fn of [rl.lt, rl.le, rl.gt, rl.ge, rl.eq, rl.ne]) {
      await checkOp(fn.name, fn, [{ shape: [3, 4], values: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3] }, { shape: [4], values: [1, 1, 2, 2] }], { finiteDiff: false });
    }
  });
  it('where', async () => {
    await checkOp('where', (c, a, b) => rl.where(rl.gt(c, 0), a, b), [{ shape: [3, 1], grad: false }, { shape: [3, 4] }, { shape: [4] }]);
  });
  it('scalar operands', async () => {
    await checkOp('x*2+1', (x) => rl.add(rl.mul(x, 2), 1), [{ shape: [5] }]);
    await checkOp('3/x', (x) => rl.div(3, x), [{ shape: [5], values: positive([5], 2) }]);
    await checkOp('x^2.5', (x) => rl.pow(x, 2.5), [{ shape: [5], values: positive([5], 2) }]);
  });
});
