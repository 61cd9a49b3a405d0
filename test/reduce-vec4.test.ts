// Reductions along contiguous rows that are a multiple of 4 long take the interleaved vec4 kernel
// (one or more passes); others keep the strided kernel. Both against the float64 oracle.
import { describe, it } from 'vitest';
import * as rl from '../src/node.js';
import { checkOp } from './helpers/oracle.js';

// [shape, axes]: vec4 rows of several lengths, multi-pass sizes, and shapes that must fall back.
const cases: [number[], number | number[] | undefined][] = [
  [[3, 16], -1], // shortest vec4 row
  [[5, 20], -1],
  [[2, 4100], -1], // interleaved invocations per row, second pass
  [[70000], undefined], // one long row: split into 4 sub-rows, then passes
  [[2, 16384], -1], // few long rows: each split into sub-rows, then the partials of each row
  [[1 << 20], undefined], // a full sum split into 256 sub-rows
  [[3, 1, 64], [1, 2]], // kept stride 64
  [[5, 18], -1], // 18 % 4 != 0: strided kernel
  [[16, 6], 0], // reduced axis not contiguous
];

describe('reductions over contiguous rows (vec4 path) and the fallbacks', () => {
  const ops: [string, (x: rl.Tensor, axes?: number | number[]) => rl.Tensor][] = [
    ['sum', (x, a) => rl.sum(x, a)], ['max', (x, a) => rl.max(x, a)], ['min', (x, a) => rl.min(x, a)], ['mean', (x, a) => rl.mean(x, a)],
  ];
  for (const [name, fn] of ops) {
    it(name, async () => {
      for (const [shape, axes] of cases) {
        await checkOp(`${name} ${JSON.stringify(shape)} over ${JSON.stringify(axes)}`, (x) => fn(x, axes as number | number[]), [{ shape }],
          { finiteDiff: false, tol: { rtol: 1e-4, atol: 1e-3 } });
      }
    });
  }
  it('logsumexp and softmax over vec4 rows', async () => {
    await checkOp('logsumexp [4, 36]', (x) => rl.logsumexp(x, -1), [{ shape: [4, 36] }]);
    await checkOp('softmax [3, 40]', (x) => rl.softmax(x, -1), [{ shape: [3, 40] }]);
  });
});
