// Uniforms and bindings by name (issue 13, item 5): the layout scripts/gen-shaders.mjs reflects
// from each uniform struct, the writer that fills it by field name, and the checks that name the
// kernel and the field for every wrong, missing or unknown value or buffer, before any GPU work.
import { describe, expect, it } from 'vitest';
import { uniformLayouts } from '../scripts/wgsl-layout.mjs';
import { engine } from '../src/engine.js';
import { RobustlensError, ShaderCompileError } from '../src/errors.js';
import { entryBindings } from '../src/gpu/bindings.js';
import type { UniformLayout } from '../src/gpu/shader-types.js';
import { shaders } from '../src/gpu/shaders.generated.js';
import { UniformWriter, type UniformValues } from '../src/gpu/uniforms.js';
import * as rl from '../src/node.js';

/** The layout of the first uniform of a WGSL snippet, as gen-shaders reflects it. */
function reflect(structText: string): UniformLayout {
  const code = `${structText}\n@group(0) @binding(0) var<uniform> u: P;\n@compute @workgroup_size(1) fn main() { _ = u; }`;
  return uniformLayouts(code, 'test.wgsl').u!;
}

/**
 * WGSL's layout rules for the uniform address space, written out independently of wgsl_reflect:
 * scalars align to 4, vec2 to 8, vec3 and vec4 to 16 (vec3 is 12 bytes); a uniform array aligns
 * to 16 and its stride is its element's size rounded up to 16; a struct's size is rounded up to
 * its largest alignment.
 */
function wgslLayout(types: readonly string[]): { offsets: number[]; size: number } {
  const roundUp = (a: number, x: number) => Math.ceil(x / a) * a;
  const scalarOrVector = (t: string): { align: number; size: number } => {
    if (/^(u32|i32|f32)$/.test(t)) return { align: 4, size: 4 };
    const n = Number(/^vec([234])/.exec(t)?.[1]);
    if (!n) throw new Error(`oracle: unknown type ${t}`);
    return { align: n === 2 ? 8 : 16, size: 4 * n };
  };
  let at = 0;
  let structAlign = 4;
  const offsets = types.map((t) => {
    const arr = /^array<(.+), (\d+)>$/.exec(t);
    const e = arr ? scalarOrVector(arr[1]!) : scalarOrVector(t);
    const align = arr ? roundUp(16, e.align) : e.align;
    const size = arr ? roundUp(16, e.size) * Number(arr[2]) : e.size;
    structAlign = Math.max(structAlign, align);
    const offset = roundUp(align, at);
    at = offset + size;
    return offset;
  });
  return { offsets, size: roundUp(structAlign, at) };
}

const PADDED = `struct P {
  n: u32, scale: f32,
  v3: vec3f, k: i32,
  dims: array<vec4u, 2>,
  w: vec2<f32>,
  tail: array<vec4f, 3>,
  last: u32,
  _pad: u32,
}`;

describe('uniform layout reflection', () => {
  it('gives the WGSL offsets of a struct with vec3 and vec4 arrays and implicit padding', () => {
    const l = reflect(PADDED);
    expect(l.struct).toBe('P');
    expect(l.fields.map((f) => [f.name, f.offset, f.type, f.kind, f.components, f.count, f.stride])).toEqual([
      ['n', 0, 'u32', 'u32', 1, 1, 4],
      ['scale', 4, 'f32', 'f32', 1, 1, 4],
      ['v3', 16, 'vec3f', 'f32', 3, 1, 12], // vec3 aligns to 16: 8 bytes of padding before it
      ['k', 28, 'i32', 'i32', 1, 1, 4], // fills the vec3's fourth slot
      ['dims', 32, 'array<vec4u, 2>', 'u32', 4, 2, 16],
      ['w', 64, 'vec2f', 'f32', 2, 1, 8],
      ['tail', 80, 'array<vec4f, 3>', 'f32', 4, 3, 16], // 8 bytes of padding after w
      ['last', 128, 'u32', 'u32', 1, 1, 4],
      ['_pad', 132, 'u32', 'u32', 1, 1, 4],
    ]);
    expect(l.size).toBe(144); // 136 rounded up to the struct's 16-byte alignment
  });

  it('every uniform of every shader module matches the WGSL layout rules', () => {
    let structs = 0;
    for (const [name, info] of Object.entries(shaders)) {
      for (const [v, l] of Object.entries(info.uniforms as Record<string, UniformLayout>)) {
        const oracle = wgslLayout(l.fields.map((f) => f.type));
        expect(l.fields.map((f) => f.offset), `${name}.${v} (${l.struct})`).toEqual(oracle.offsets);
        expect(l.size, `${name}.${v} (${l.struct})`).toBe(oracle.size);
        structs++;
      }
    }
    expect(structs).toBeGreaterThanOrEqual(15);
  });

  it('refuses member types the writer cannot fill, naming the struct, field and type', () => {
    expect(() => reflect('struct P { n: u32, m: mat2x2f }')).toThrow(/test\.wgsl: uniform struct P, field 'm' has type mat2x2/);
    expect(() => reflect('struct Q { a: u32 }\nstruct P { n: u32, q: Q }')).toThrow(/field 'q' has type Q/);
    expect(() => reflect('struct P { n: u32, b: array<mat2x2f, 2> }')).toThrow(/field 'b' .*array elements must be/);
  });
});

describe('the uniform writer', () => {
  const layout = reflect(PADDED);
  const ok: UniformValues = { n: 7, scale: 0.5, v3: [1, 2, 3], k: -4, dims: [1, 2, 3, 4, 5], w: [6, 7], tail: [0.25, -1], last: 2 ** 32 - 1 };

  it('writes each field at its offset, zero-fills short lists and omitted padding', () => {
    const w = new UniformWriter(layout);
    const v = new DataView(w.write({ ...ok, _pad: 99 }, 'k.e').slice(0));
    expect(v.byteLength).toBe(144);
    expect(v.getUint32(0, true)).toBe(7);
    expect(v.getFloat32(4, true)).toBe(0.5);
    expect([16, 20, 24].map((o) => v.getFloat32(o, true))).toEqual([1, 2, 3]);
    expect(v.getInt32(28, true)).toBe(-4);
    expect(Array.from({ length: 8 }, (_, i) => v.getUint32(32 + 4 * i, true))).toEqual([1, 2, 3, 4, 5, 0, 0, 0]);
    expect([v.getFloat32(64, true), v.getFloat32(68, true)]).toEqual([6, 7]);
    expect(Array.from({ length: 12 }, (_, i) => v.getFloat32(80 + 4 * i, true))).toEqual([0.25, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(v.getUint32(128, true)).toBe(2 ** 32 - 1);
    expect(v.getUint32(132, true)).toBe(99);
    // A second write starts from zeros: nothing of the first survives in what it leaves out.
    const again = new DataView(w.write({ ...ok, dims: [9], tail: [] }, 'k.e'));
    expect(Array.from({ length: 8 }, (_, i) => again.getUint32(32 + 4 * i, true))).toEqual([9, 0, 0, 0, 0, 0, 0, 0]);
    expect(again.getUint32(132, true)).toBe(0);
    expect(again.getFloat32(80, true)).toBe(0);
  });

  const cases: [string, UniformValues, RegExp][] = [
    ['a missing field', { ...ok, k: undefined as unknown as number }, /field 'k' of P is missing; .*\(n, scale, v3, k, dims, w, tail, last\)/],
    ['an unknown field', { ...ok, sacle: 1 }, /uniform P has no field 'sacle'; its fields are n, scale/],
    ['a negative u32', { ...ok, n: -1 }, /field 'n' of P is u32: -1 is not an integer in \[0, 2\^32 - 1\]/],
    ['a fractional u32', { ...ok, n: 1.5 }, /field 'n' of P is u32: 1\.5 is not an integer/],
    ['a u32 past 2^32 - 1', { ...ok, last: 2 ** 32 }, /field 'last' of P is u32: 4294967296/],
    ['an i32 out of range', { ...ok, k: 2 ** 31 }, /field 'k' of P is i32: 2147483648 is not an integer in \[-2\^31, 2\^31 - 1\]/],
    ['an array longer than its WGSL array', { ...ok, dims: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, /field 'dims' of P is array<vec4u, 2>: 9 values do not fit in 8/],
    ['a vector too long', { ...ok, w: [1, 2, 3] }, /field 'w' of P is vec2f: 3 values do not fit in 2/],
    ['a number for an array', { ...ok, dims: 3 }, /field 'dims' of P is array<vec4u, 2>, so it takes a list of up to 8 numbers, got 3/],
    ['a list for a scalar', { ...ok, n: [1] }, /field 'n' of P is u32, so it takes a number, got a list of 1/],
    ['a string for a scalar', { ...ok, scale: '1' as unknown as number }, /field 'scale' of P is f32, so it takes a number, got '1'/],
    ['a string in a list', { ...ok, dims: [1, '2' as unknown as number] }, /field 'dims' of P is array<vec4u, 2>: value 1 is '2', not a number/],
    ['a negative entry of a u32 array', { ...ok, dims: [1, -2] }, /field 'dims' of P is array<vec4u, 2>: -2 is not an integer/],
  ];
  for (const [what, values, message] of cases) {
    it(`refuses ${what}, naming the kernel and the field`, () => {
      const w = new UniformWriter(layout);
      const e = (() => {
        try {
          w.write(values, 'mymodule.my_entry');
        } catch (err) {
          return err as Error;
        }
        throw new Error('no error');
      })();
      expect(e).toBeInstanceOf(RobustlensError);
      expect(e.message).toMatch(/^mymodule\.my_entry: /);
      expect(e.message).toMatch(message);
    });
  }
});

describe('bindings by name', () => {
  const attack = entryBindings('attack', shaders.attack, 'linf_step');
  const b = {} as GPUBuffer;
  const uniforms = { n: 4, d: 0, alpha: 0.1, eps: 0.3 };

  it('accepts exactly the entry point\'s storage buffers and its uniform fields', () => {
    expect(attack.check({ x0: b, xt: b, g: b, out: b }, uniforms)?.byteLength).toBe(16);
    expect(attack.entries({ x0: b, xt: b, g: b, out: b }, b).map((e) => e.binding)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a missing, unknown or misplaced buffer names the kernel and the binding', () => {
    expect(() => attack.check({ x0: b, xt: b, out: b }, uniforms)).toThrow("attack.linf_step: no buffer for 'g' (binding 3); this kernel binds x0, xt, g, out");
    expect(() => attack.check({ x0: b, xt: b, g: b, out: b, x: b }, uniforms)).toThrow("attack.linf_step: 'x' is not a storage buffer of this kernel");
    expect(() => attack.check({ x0: b, xt: b, g: b, out: b, st: b }, uniforms)).toThrow("'st' is not a storage buffer"); // the uniform is no storage buffer
    expect(() => attack.check({ x0: b, xt: b, g: b, out: undefined }, uniforms)).toThrow("no buffer for 'out'");
  });

  it('uniforms missing where the kernel has one, or given where it has none, are refused', () => {
    expect(() => attack.check({ x0: b, xt: b, g: b, out: b }, undefined)).toThrow("attack.linf_step: uniform 'st' (Step) needs its fields");
    const probe = entryBindings('gram_sg', shaders.gram_sg, 'sg_probe');
    expect(probe.check({ ok: b }, undefined)).toBeNull();
    expect(() => probe.check({ ok: b }, { n: 1 })).toThrow('gram_sg.sg_probe: this kernel has no uniform');
    expect(() => entryBindings('attack', shaders.attack, 'linf')).toThrow(ShaderCompileError);
  });

  it('a bad dispatch fails before anything is acquired or recorded, and the device keeps working', async () => {
    const rt = engine.runtime!;
    const x = rt.createStorage(16, 'test.x');
    const before = { dispatches: rt.dispatches, live: rt.pool.liveBuffers };
    const dispatch = (u: Record<string, number>, buffers: Record<string, GPUBuffer>) =>
      rt.dispatch({ shader: 'attack', entry: 'linf_step', uniforms: u, buffers, workgroups: [1] });
    expect(() => dispatch({ ...uniforms, alpha: undefined as unknown as number }, { x0: x, xt: x, g: x, out: x })).toThrow("attack.linf_step: uniform field 'alpha' of Step is missing");
    expect(() => dispatch({ ...uniforms, n: -4 }, { x0: x, xt: x, g: x, out: x })).toThrow("attack.linf_step: uniform field 'n' of Step is u32: -4");
    expect(() => dispatch(uniforms, { x0: x, xt: x, gg: x, out: x })).toThrow("attack.linf_step: no buffer for 'g'");
    expect({ dispatches: rt.dispatches, live: rt.pool.liveBuffers }).toEqual(before);
    rt.releaseStorage(x);
    const t = rl.tensor([1, -2, 3]);
    const y = rl.abs(t);
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    t.dispose();
    y.dispose();
  });
});
