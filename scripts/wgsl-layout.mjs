// The byte layout of a WGSL uniform struct, as scripts/gen-shaders.mjs writes it into
// src/gpu/shaders.generated.ts (the habit of webgpu-utils' makeStructuredView): launchers then
// fill uniforms by field name (src/gpu/uniforms.ts) instead of by position.
//
// Offsets, sizes and strides come from wgsl_reflect, which applies WGSL's layout rules (a vec3 is
// 16-byte aligned, a uniform array's stride is a multiple of 16, the struct is padded to its
// alignment). Only the member types uniforms of this project use are accepted: u32, i32 and f32
// scalars, vecN of them, and fixed-size arrays of those. Anything else (a nested struct, a matrix,
// f16, a runtime-sized array) is refused with the struct, the member and the type named, so that a
// shader change cannot silently produce a layout the writer would fill wrong.

import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

const SCALARS = new Set(['u32', 'i32', 'f32']);
const SUFFIX = { u: 'u32', i: 'i32', f: 'f32' };

/** { kind, components } of a scalar or vector type, or null. */
function scalarOrVector(type) {
  if (SCALARS.has(type.name)) return { kind: type.name, components: 1 };
  const short = /^vec([234])([uif])$/.exec(type.name);
  if (short) return { kind: SUFFIX[short[2]], components: Number(short[1]) };
  const long = /^vec([234])$/.exec(type.name);
  if (long && type.format && SCALARS.has(type.format.name)) return { kind: type.format.name, components: Number(long[1]) };
  return null;
}

const typeText = (type) => (typeof type.getTypeName === 'function' ? type.getTypeName() : type.name);

/**
 * The layout of one `var<uniform>` reflected by wgsl_reflect.
 * @param {import('wgsl_reflect').VariableInfo} variable
 * @param {string} where the module, for messages (e.g. shaders/conv.wgsl)
 * @returns {{ struct: string, size: number, fields: { name: string, offset: number, type: string,
 *   kind: 'u32' | 'i32' | 'f32', components: number, count: number, stride: number }[] }}
 *   `count` is the array length (1 for a scalar or vector), `stride` the bytes between elements.
 */
export function uniformLayout(variable, where) {
  const struct = variable.type;
  if (!struct.isStruct) {
    throw new Error(`${where}: uniform '${variable.name}' has type ${typeText(struct)}; uniforms must be structs (their fields are written by name)`);
  }
  const fields = struct.members.map((m) => {
    const bad = (why) =>
      new Error(`${where}: uniform struct ${struct.name}, field '${m.name}' has type ${typeText(m.type)}: ${why}`);
    if (m.type.isArray) {
      const element = scalarOrVector(m.type.format);
      if (!element) throw bad('array elements must be u32, i32, f32 or vecN of them');
      if (!(m.type.count > 0)) throw bad('a uniform array needs a fixed length');
      return { name: m.name, offset: m.offset, type: typeText(m.type), ...element, count: m.type.count, stride: m.type.stride };
    }
    const element = scalarOrVector(m.type);
    if (!element) throw bad('uniform fields must be u32, i32, f32, vecN of them, or fixed arrays of those');
    return { name: m.name, offset: m.offset, type: typeText(m.type), ...element, count: 1, stride: m.size };
  });
  return { struct: struct.name, size: variable.size, fields };
}

/** The layouts of every `var<uniform>` of a WGSL module, by variable name. */
export function uniformLayouts(code, where) {
  const out = {};
  for (const u of new WgslReflect(code).uniforms) out[u.name] = uniformLayout(u, where);
  return out;
}
