import { RobustlensError } from '../errors.js';
import type { UniformField, UniformLayout } from './shader-types.js';

/**
 * A uniform field's value: a number for a scalar; for a vector or an array, the values in order,
 * flattened (array<vec4u, 2> takes up to 8 numbers), zero-filled to the end.
 */
export type UniformValue = number | readonly number[];
export type UniformValues = Readonly<Record<string, UniformValue>>;

const U32 = 0;
const I32 = 1;
const F32 = 2;

/** A field compiled to 32-bit word positions. */
interface Slot {
  readonly field: UniformField;
  readonly kind: typeof U32 | typeof I32 | typeof F32;
  /** Word index of element 0, component 0. */
  readonly word: number;
  readonly strideWords: number;
  readonly components: number;
  /** Numbers the field holds: count × components (1 for a scalar). */
  readonly capacity: number;
  readonly scalar: boolean;
  readonly padding: boolean;
}

const KIND = { u32: U32, i32: I32, f32: F32 } as const;

/**
 * Fills one uniform struct by field name (the habit of webgpu-utils' makeStructuredView). Made
 * once per struct layout and reused by every dispatch: `write` checks the values and stores them
 * into one scratch buffer, allocating nothing. The bytes are valid until the next `write`, which
 * is fine for `queue.writeBuffer` (it copies at once).
 */
export class UniformWriter {
  private readonly bytes: ArrayBuffer;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly f32: Float32Array;
  private readonly slots: readonly Slot[];
  private readonly known: ReadonlySet<string>;

  constructor(readonly layout: UniformLayout) {
    this.bytes = new ArrayBuffer(layout.size);
    this.u32 = new Uint32Array(this.bytes);
    this.i32 = new Int32Array(this.bytes);
    this.f32 = new Float32Array(this.bytes);
    this.slots = layout.fields.map((f) => {
      // WGSL aligns every uniform member to at least 4 bytes, so word positions are exact.
      if (f.offset % 4 !== 0 || f.stride % 4 !== 0) throw new RobustlensError(`uniform ${layout.struct}.${f.name}: offset ${f.offset} or stride ${f.stride} is not a multiple of 4`);
      return {
        field: f,
        kind: KIND[f.kind],
        word: f.offset / 4,
        strideWords: f.stride / 4,
        components: f.components,
        capacity: f.count * f.components,
        scalar: f.count === 1 && f.components === 1,
        padding: f.name.startsWith('_'),
      };
    });
    this.known = new Set(layout.fields.map((f) => f.name));
  }

  /** The struct's bytes for `values` (every field but `_` padding given, no unknown field). */
  write(values: UniformValues, label: string): ArrayBuffer {
    this.u32.fill(0);
    for (const s of this.slots) {
      const v = values[s.field.name];
      if (v === undefined) {
        if (s.padding) continue;
        throw this.error(label, s.field, `is missing; the launcher must give every field of ${this.layout.struct} (${this.names()})`);
      }
      if (s.scalar) {
        if (typeof v !== 'number') throw this.error(label, s.field, `is ${s.field.type}, so it takes a number, got ${shown(v)}`);
        this.store(s, s.word, v, label);
        continue;
      }
      if (!Array.isArray(v)) throw this.error(label, s.field, `is ${s.field.type}, so it takes a list of up to ${s.capacity} numbers, got ${shown(v)}`);
      const list = v as readonly number[];
      if (list.length > s.capacity) throw this.error(label, s.field, `is ${s.field.type}: ${list.length} values do not fit in ${s.capacity}`);
      for (let i = 0; i < list.length; i++) {
        const x = list[i];
        if (typeof x !== 'number') throw this.error(label, s.field, `is ${s.field.type}: value ${i} is ${shown(x)}, not a number`);
        const element = Math.floor(i / s.components);
        this.store(s, s.word + element * s.strideWords + (i - element * s.components), x, label);
      }
    }
    for (const name in values) {
      if (!this.known.has(name)) {
        throw new RobustlensError(`${label}: uniform ${this.layout.struct} has no field '${name}'; its fields are ${this.names()}`);
      }
    }
    return this.bytes;
  }

  private store(s: Slot, word: number, x: number, label: string): void {
    if (s.kind === F32) {
      this.f32[word] = x;
    } else if (s.kind === U32) {
      if (!(Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) throw this.error(label, s.field, `is ${s.field.type}: ${x} is not an integer in [0, 2^32 - 1]`);
      this.u32[word] = x;
    } else {
      if (!(Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31)) throw this.error(label, s.field, `is ${s.field.type}: ${x} is not an integer in [-2^31, 2^31 - 1]`);
      this.i32[word] = x;
    }
  }

  private error(label: string, f: UniformField, what: string): RobustlensError {
    return new RobustlensError(`${label}: uniform field '${f.name}' of ${this.layout.struct} ${what}`);
  }

  private names(): string {
    return this.layout.fields.map((f) => f.name).filter((n) => !n.startsWith('_')).join(', ');
  }
}

const shown = (v: unknown): string => (Array.isArray(v) ? `a list of ${v.length}` : typeof v === 'string' ? `'${v}'` : String(v));

/** One writer per layout object: the generated module shares a layout among its entry points. */
const writers = new WeakMap<UniformLayout, UniformWriter>();

export function uniformWriter(layout: UniformLayout): UniformWriter {
  let w = writers.get(layout);
  if (!w) writers.set(layout, (w = new UniformWriter(layout)));
  return w;
}
