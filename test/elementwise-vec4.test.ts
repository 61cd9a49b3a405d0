// The contiguous vec4 fast paths of unary and binary ops (taken when the element count is a
// multiple of 4 and at least 64) against the float64 oracle. Sizes straddle the vec4 and
// per-invocation boundaries: 64, 68 (17 vec4s), 4100 (1025 vec4s, several workgroups).
import { describe, it } from 'vitest';
import * as rl from '../src/node.js';
import { checkOp, randomValues } from './helpers/oracle.js';

const positive = (shape: number[], seed: number) => Array.from(randomValues(shape, seed, 0.2, 3));
const shapes = [[64], [4, 17], [2, 2050]];

describe('vec4 fast paths against the float64 oracle', () => {
  const unary: [string, (x: rl.Tensor) => rl.Tensor, boolean?][] = [
    ['relu', rl.relu], ['sigmoid', rl.sigmoid], ['affine', (x) => rl.affine(x, -2.5, 0.75)],
    ['clamp', (x) => rl.clamp(x, -0.5, 0.7)], ['log', rl.log, true], ['rsqrt', rl.rsqrt, true],
  ];
  for (const [name, fn, pos] of unary) {
    it(`unary ${name}`, async () => {
      for (const shape of shapes) {
        await checkOp(`${name} ${JSON.stringify(shape)}`, fn, [{ shape, values: pos ? positive(shape, 3) : undefined }], { finiteDiff: false });
      }
    });
  }
  const binary: [string, (a: rl.Tensor, b: rl.Tensor) => rl.Tensor, boolean?][] = [
    ['add', rl.add], ['sub', rl.sub], ['mul', rl.mul], ['div', rl.div, true], ['maximum', rl.maximum],
  ];
  for (const [name, fn, pos] of binary) {
    it(`binary ${name}, same shapes`, async () => {
      for (const shape of shapes) {
        await checkOp(`${name} ${JSON.stringify(shape)}`, fn, [
          { shape, values: pos ? positive(shape, 5) : undefined },
          { shape, values: pos ? positive(shape, 6) : undefined },
        ], { finiteDiff: false });
      }
    });
  }
  it('a chain with a transposed operand still takes the strided path correctly', async () => {
    await checkOp('relu(x)·yᵀ', (x, y) => rl.mul(rl.relu(x), rl.transpose(y)), [{ shape: [8, 16] }, { shape: [16, 8] }]);
  });
});
