// Limits (issue 8, item 4): dispatch grids and index arithmetic stay exact in 32-bit integers up to
// the largest problems the engine accepts, everything larger is refused with LimitError, and an op
// that fails after allocating gives its buffers back.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { engine } from '../src/engine.js';
import { grid1d, MAX_ELEMENTS, storageLimitError } from '../src/gpu/limits.js';
import { asGrid3, coalesce } from '../src/kernels/coalesce.js';

let cases = 0;
afterAll(() => console.log(`limits: ${cases.toLocaleString('en-US')} property cases`));
const runs = (numRuns: number) => {
  cases += numRuns;
  return { numRuns, seed: 8 };
};

/** What a kernel computes as `gid.x + gid.y * nwg.x * WG` (all u32, so it wraps at 2^32). */
const u32Index = (gx: number, gy: number, groupsX: number, wg: number): number =>
  (gx + Math.imul(gy, Math.imul(groupsX, wg) >>> 0)) >>> 0;

describe('dispatch grids', () => {
  it('grid1d covers n invocations within 65,535 groups per dimension, and its u32 index never wraps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 33 }), fc.constantFrom(32, 64, 128, 256), (n, wg) => {
        let grid: [number, number];
        try {
          grid = grid1d(n, wg);
        } catch (e) {
          // Refused only when no grid can address n invocations in u32.
          expect(e).toBeInstanceOf(rl.LimitError);
          expect(Math.ceil(Math.ceil(n / wg) / 65535) * 65535 * wg).toBeGreaterThan(2 ** 32);
          return;
        }
        const [x, y] = grid;
        expect(x).toBeLessThanOrEqual(65535);
        expect(y).toBeLessThanOrEqual(65535);
        expect(x * y * wg).toBeGreaterThanOrEqual(n);
        // The last invocation and the last element both map to their true index (no wrap-around).
        expect(u32Index(x * wg - 1, y - 1, x, wg)).toBe(x * y * wg - 1);
        const last = n - 1;
        const gy = Math.floor(last / (x * wg));
        expect(u32Index(last - gy * x * wg, gy, x, wg)).toBe(last);
      }),
      runs(2000),
    );
  });

  it('every tensor the engine accepts (under 2^31 elements) gets a grid with exact indices', () => {
    for (const wg of [64, 256]) {
      const [x, y] = grid1d(MAX_ELEMENTS, wg);
      expect(x * y * wg).toBeGreaterThanOrEqual(MAX_ELEMENTS);
      expect(x * y * wg).toBeLessThanOrEqual(2 ** 32);
    }
    // Past 2^32 invocations a u32 index must wrap, so the grid is refused, not built.
    expect(() => grid1d(2 ** 32 + 64, 64)).toThrow(/overflows 32-bit invocation indices/);
  });

  it('coalescing a strided problem visits exactly the elements of the original, in the same order', () => {
    const problem = fc
      .array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 5 })
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          // Two operands: each axis is broadcast (stride 0), contiguous-style or an arbitrary step.
          fc.array(fc.tuple(...shape.map(() => fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })))), {
            minLength: 2,
            maxLength: 2,
          }),
        ),
      );
    fc.assert(
      fc.property(problem, ([shape, strides]) => {
        const offsets = (sh: readonly number[], st: readonly number[]): number[] => {
          let out = [0];
          sh.forEach((n, d) => (out = out.flatMap((o) => Array.from({ length: n }, (_, k) => o + k * st[d]!))));
          return out;
        };
        const c = coalesce(shape, strides);
        expect(c.shape.length).toBeLessThanOrEqual(shape.length);
        strides.forEach((s, o) => expect(offsets(c.shape, c.strides[o]!)).toEqual(offsets(shape, s)));
        const g = asGrid3(c, 64);
        if (g) strides.forEach((s, o) => expect(offsets(g.shape, g.strides[o]!)).toEqual(offsets(shape, s)));
      }),
      runs(600),
    );
  });
});

describe('tensor size limits', () => {
  it('2^31 elements are refused for 32-bit indexing even on a device that binds more', () => {
    const huge = 2 ** 40; // a device with a 1 TiB binding limit
    expect(storageLimitError(MAX_ELEMENTS * 4, huge, 'fill')).toBeNull();
    const e = storageLimitError((MAX_ELEMENTS + 1) * 4, huge, 'fill');
    expect(e).toBeInstanceOf(rl.LimitError);
    expect(e!.message).toMatch(/^fill: 2147483648 elements exceed 2147483647 \(2\^31 - 1\)/);
    const small = storageLimitError(1025 * 4, 4096, 'matmul');
    expect(small!.message).toContain('maxStorageBufferBindingSize');
    expect(small!.message).toContain('matmul');
  });

  it('shapes past 2^31 elements are refused before any allocation, on this device too', () => {
    const before = rl.memory();
    for (const shape of [[2 ** 16, 2 ** 15], [3, 2 ** 31], [2 ** 53]]) {
      expect(() => rl.zeros(shape)).toThrow(rl.LimitError);
    }
    expect(rl.memory().gpuBuffers).toBe(before.gpuBuffers);
  });
});

describe('an op that fails after allocating', () => {
  it('gives its output and temporaries back, and the engine keeps working', async () => {
    const rt = engine.runtime!;
    const a = rl.tensor(Float32Array.from({ length: 6 * 5 }, (_, i) => i / 7), [6, 5]);
    const b = rl.tensor(Float32Array.from({ length: 5 * 3 }, (_, i) => 1 - i / 9), [5, 3]);
    const img = rl.tensor(Float32Array.from({ length: 2 * 3 * 7 * 7 }, (_, i) => Math.sin(i)), [2, 3, 7, 7]);
    const w = rl.tensor(Float32Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.cos(i)), [4, 3, 3, 3]);
    const ops: [string, () => rl.Tensor][] = [
      ['add', () => rl.add(a, 1)],
      ['matmul', () => rl.matmul(a, b)],
      ['sum', () => rl.sum(a, 1)],
      ['softmax (a composite)', () => rl.softmax(a)],
      ['conv2d', () => rl.conv2d(img, w, null, { padding: 1 })],
      ['maxPool2d', () => rl.maxPool2d(img, { kernel: 2 })],
    ];
    const real = rt.dispatch.bind(rt);
    let injected = 0;
    try {
      for (const [name, op] of ops) {
        // Fail the k-th dispatch of the op, for every k it makes.
        for (let k = 1; ; k++) {
          let count = 0;
          rt.dispatch = (spec) => {
            if (++count === k) throw new rl.LimitError(`injected failure in ${spec.shader}.${spec.entry}`);
            real(spec);
          };
          const before = rl.memory();
          let failed = false;
          try {
            rl.tidy(op).dispose();
          } catch (e) {
            failed = true;
            injected++;
            expect((e as Error).message, name).toContain('injected failure');
          }
          const after = rl.memory();
          expect({ op: name, k, tensors: after.tensors, buffers: after.gpuBuffers }).toEqual({
            op: name, k, tensors: before.tensors, buffers: before.gpuBuffers,
          });
          if (!failed) break; // k is past the op's last dispatch
        }
      }
    } finally {
      rt.dispatch = real;
    }
    console.log(`limits: ${injected} dispatch failures injected across ${ops.length} ops, nothing leaked`);
    expect(injected).toBeGreaterThanOrEqual(ops.length);
    const ok = rl.matmul(a, b);
    expect((await ok.data()).length).toBe(18);
    for (const t of [ok, a, b, img, w]) t.dispose();
  });
});

describe('a training step that fails part-way', () => {
  it('leaks nothing and leaves the weights usable, whichever of its dispatches fails', async () => {
    const rt = engine.runtime!;
    const model = rl.nn.cnnSmall({ seed: 3 });
    const params = model.parameters();
    const opt = new rl.optim.SGD(model.namedParameters(), { lr: 0.01, momentum: 0.9 });
    const x = rl.rand([4, 1, 28, 28], 5);
    const y = rl.tensor(Int32Array.from([1, 7, 3, 0]), [4], { dtype: 'int32' });
    const step = () => {
      const { value, grads } = rl.valueAndGrad(() => rl.nn.crossEntropy(model.forward(x), y), params);
      try {
        opt.step(params, grads);
      } finally {
        // The gradients are the caller's, also when the update fails.
        for (const g of grads) g.dispose();
        value.dispose();
      }
    };
    step(); // warm-up: optimizer state and pools exist before counting
    const real = rt.dispatch.bind(rt);
    let total = 0;
    rt.dispatch = (spec) => {
      total++;
      real(spec);
    };
    step();
    let injected = 0;
    try {
      for (let k = 1; k <= total; k += Math.max(1, Math.floor(total / 40))) {
        let count = 0;
        rt.dispatch = (spec) => {
          if (++count === k) throw new rl.LimitError(`injected failure in ${spec.shader}.${spec.entry}`);
          real(spec);
        };
        const before = rl.memory();
        expect(step, `dispatch ${k} of ${total}`).toThrow(/injected failure/);
        injected++;
        const after = rl.memory();
        expect({ k, tensors: after.tensors, buffers: after.gpuBuffers }).toEqual({ k, tensors: before.tensors, buffers: before.gpuBuffers });
      }
    } finally {
      rt.dispatch = real;
    }
    console.log(`limits: ${injected} of a training step's ${total} dispatches failed in turn, nothing leaked`);
    step(); // the model still trains
    const w = await params[0]!.data();
    expect(w.every(Number.isFinite)).toBe(true);
    for (const t of [x, y]) t.dispose();
    opt.dispose();
    model.dispose();
  });
});
