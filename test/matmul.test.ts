// Every matmul kernel variant against the float64 oracle, forward and backward (the backward pass
// runs transposed operands through the strides, without copies), on shapes that miss every tile
// size: 1, primes, more columns than one subgroup workgroup covers, and batch broadcasting.
import { afterEach, describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { engine } from '../src/engine.js';
import { canUseSubgroupMatmul, matmulOverride, pickMatmul, type MatmulVariant } from '../src/kernels/matmul.js';
import { checkOp } from './helpers/oracle.js';

const runtime = engine.runtime!;
const subgroups = canUseSubgroupMatmul(runtime);

const variants: [string, MatmulVariant][] = [
  ['tile4', { kind: 'tile4' }],
  ['tile4_vec4', { kind: 'tile4_vec4' }], // falls back to tile4 on unaligned views
  ['subgroup ra1 nv1', { kind: 'subgroup', ra: 1, nv: 1 }],
  ['subgroup ra2 nv1', { kind: 'subgroup', ra: 2, nv: 1 }],
  ['subgroup ra1 nv2', { kind: 'subgroup', ra: 1, nv: 2 }],
  ['subgroup ra2 nv2', { kind: 'subgroup', ra: 2, nv: 2 }],
  // Falls back to the scalar-load subgroup kernel where the views are not vec4-aligned.
  ['subgroup_vec4 ra1 nv1', { kind: 'subgroup_vec4', ra: 1, nv: 1 }],
  ['subgroup_vec4 ra2 nv2', { kind: 'subgroup_vec4', ra: 2, nv: 2 }],
];

// [a shape, b shape, transA, transB]
const cases: [number[], number[], boolean, boolean][] = [
  [[1, 1], [1, 1], false, false],
  [[1, 7], [7, 1], false, false],
  [[7, 13], [13, 5], false, false],
  [[37, 11], [11, 300], false, false], // > 256 columns: several workgroups across
  [[17, 23], [29, 23], false, true],
  [[19, 9], [19, 31], true, false],
  [[3, 13, 6], [6, 17], false, false], // right operand broadcast over the batch
  [[1, 5, 8], [2, 8, 19], false, false], // left operand broadcast over the batch
  [[2, 9, 4], [2, 33, 9], true, true],
  // vec4-aligned shapes (K, N % 4 == 0) for the vec4 kernel: several column groups, batches, edges.
  [[21, 12], [12, 1032], false, false],
  [[3, 17, 8], [3, 8, 20], false, false],
  [[1, 5, 16], [2, 16, 4], false, false],
  [[33, 4], [4, 36], false, false],
];

afterEach(() => {
  matmulOverride.variant = null;
});

describe('matmul variants against the float64 oracle', () => {
  for (const [name, variant] of variants) {
    const skip = (variant.kind === 'subgroup' || variant.kind === 'subgroup_vec4') && !subgroups;
    it.skipIf(skip)(name, async () => {
      matmulOverride.variant = variant;
      for (const [sa, sb, ta, tb] of cases) {
        await checkOp(`${name} ${JSON.stringify(sa)}${ta ? 'ᵀ' : ''}·${JSON.stringify(sb)}${tb ? 'ᵀ' : ''}`,
          (a, b) => rl.matmulT(a, b, ta, tb), [{ shape: sa }, { shape: sb }],
          // Finite differences check the oracle, not the kernel: once is enough.
          { finiteDiff: variant.kind === 'tile4', tol: { rtol: 1e-4, atol: 1e-4 } });
      }
    });
  }

  it('a long inner dimension stays within f32 tolerance', async () => {
    await checkOp('matmul 5x1031·1031x67', rl.matmul, [{ shape: [5, 1031] }, { shape: [1031, 67] }], { finiteDiff: false, tol: { rtol: 1e-3, atol: 1e-3 } });
  });

  // SwiftShader reports subgroups of 4: it must get the tile kernels.
  it('picks the subgroup kernels only where the device has subgroups of >= 8 lanes', () => {
    const rowMajor = (r: number, c: number) => ({ offset: 0, sb: r * c, si: c, sj: 1 });
    const big = pickMatmul(runtime, 256, 256, 256, rowMajor(256, 256), rowMajor(256, 256));
    expect(big.kind).toBe(subgroups ? 'subgroup_vec4' : 'tile4_vec4');
    // B transposed (sj != 1): scalar loads.
    const bt = pickMatmul(runtime, 256, 256, 256, rowMajor(256, 256), { offset: 0, sb: 0, si: 1, sj: 256 });
    expect(bt.kind).toBe(subgroups ? 'subgroup' : 'tile4');
    expect(pickMatmul(runtime, 1, 64, 64).kind).toBe('tile4');
    expect(pickMatmul(runtime, 1, 64, 64, rowMajor(1, 64), rowMajor(64, 64)).kind).toBe('tile4_vec4');
  });

  it('names the shapes when inner dimensions differ', () => {
    const a = rl.zeros([2, 3]);
    const b = rl.zeros([4, 5]);
    expect(() => rl.matmul(a, b)).toThrow(/matmul: inner dimensions differ: \[2, ?3\] · \[4, ?5\]/);
    a.dispose();
    b.dispose();
  });
});
