// The GPU median (shaders/select.wgsl, radix select on the device) against the float64 reference of
// the CPU backend and numpy's convention (methods.md §1.1: every value counts, the mean of the two
// middle values for an even count), on awkward sizes and values.
import { describe, expect, it } from 'vitest';
import { cpu, getBackend, tensor, Rng, type Backend } from '../src/node.js';
import { fullMedian } from '../src/backend/cpu/select.js';
import { medianOfAll } from '../src/ops/hsic.js';

async function medianOn(b: Backend<any>, values: ArrayLike<number>): Promise<number> {
  const x = tensor(values, [values.length], { backend: b });
  const m = medianOfAll(x);
  try {
    expect(m.shape).toEqual([]);
    return (await m.data())[0]!;
  } finally {
    m.dispose();
    x.dispose();
  }
}

/** numpy's median by sorting (the definition, independent of the quickselect under test). */
function sortedMedian(v: ArrayLike<number>): number {
  const s = Array.from(v).sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * The f32 result may differ from the float64 midpoint of two f32 values by the rounding of that
 * midpoint, and by a subnormal difference of the two that the device flushed to 0 (WGSL allows it;
 * SwiftShader does it): less than f32's smallest normal, 2^-126.
 */
function expectMedian(got: number, want: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(Math.abs(want) * 2 ** -23 + 2 ** -126);
}

const rng = new Rng(1357);
const cases: [string, number[]][] = [
  ['one value', [2.5]],
  ['two values', [5, -1]],
  ['three values', [3, 1, 2]],
  ['five values', [0.5, -7, 3, 3, 1e-3]],
  ['37 normals', Array.from(rng.fillNormal(37))],
  ['257 normals', Array.from(rng.fillNormal(257))],
  ['258 normals (even)', Array.from(rng.fillNormal(258))],
  ['ties and many zeros', Array.from(rng.fillUniform(1000, 0, 5), (v, i) => (i % 3 === 0 ? 0 : Math.round(v * 4) / 4))],
  ['all equal', new Array<number>(1001).fill(7.25)],
  ['all zero, even', new Array<number>(64).fill(0)],
  ['two middle values far apart', [1, 1, 1, 1e30, 1e30, 1e30]],
  ['huge values (no overflow in the mean)', [3e38, 3.2e38, 3.1e38, 3.3e38]],
  ['huge of both signs', [-3.3e38, 3.3e38]],
  ['tiny values', Array.from(rng.fillUniform(100, 1e-37, 1e-36))],
  ['negative and positive zeros', [-0, 0, -0, 0, 1, -1]],
  ['mixed magnitudes', Array.from(rng.fillNormal(999), (v, i) => v * 10 ** ((i % 13) - 6))],
];

describe('median of all values (§1.1)', () => {
  it('the float64 quickselect equals the sort-based definition', () => {
    for (const [what, v] of cases) expect(fullMedian(v), what).toBe(sortedMedian(v));
  });

  for (const [name, backend] of [['cpu', () => cpu as Backend<any>], ['gpu', getBackend]] as const) {
    it(`on ${name}: awkward sizes, ties, all equal, huge and tiny values`, async () => {
      for (const [what, v] of cases) {
        // The backend stores float32 on the GPU: the reference sees the same rounded values.
        const stored = name === 'gpu' ? Array.from(Float32Array.from(v)) : v;
        const got = await medianOn(backend(), v);
        const want = fullMedian(stored);
        if (stored.length % 2 === 1 || name === 'cpu') expect(got, what).toBe(want);
        else expectMedian(got, want, what);
      }
    });
  }

  it('a squared-distance matrix with its zero diagonal, n = 1, 2, 3, 5, 37, 257 (many workgroups at 257² values)', async () => {
    for (const n of [1, 2, 3, 5, 37, 257]) {
      const x = new Rng(n).fillNormal(n * 3);
      const d = new Float32Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = i === j ? 0 : (x[3 * i]! - x[3 * j]!) ** 2 + (x[3 * i + 1]! - x[3 * j + 1]!) ** 2 + (x[3 * i + 2]! - x[3 * j + 2]!) ** 2;
      const want = fullMedian(d);
      expectMedian(await medianOn(getBackend(), d), want, `n = ${n}`);
      expect(await medianOn(cpu, d), `n = ${n} on cpu`).toBe(want);
    }
  });

  it('a million values spread over the full grid of histogram workgroups', async () => {
    const v = Float32Array.from(new Rng(99).fillNormal(1 << 20), (x) => x * x);
    expectMedian(await medianOn(getBackend(), v), fullMedian(v), '2^20 values');
    v[7] = 1e9; // one more distinct value changes the upper middle only through the count
    expectMedian(await medianOn(getBackend(), v), fullMedian(v), '2^20 values, one outlier');
  });
});
