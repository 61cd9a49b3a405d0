/**
 * Packs a WGSL uniform struct. Fields are written in declaration order; `dims` writes an
 * array<vec4u, 2> (8 slots, 16-byte aligned) as the shape/stride arrays of the kernels use.
 * The byte size comes from reflection, so a launcher that writes too much fails loudly.
 */
export class UniformWriter {
  private readonly u32: Uint32Array;
  private readonly f32: Float32Array;
  private i = 0;

  constructor(readonly bytes: number) {
    const buf = new ArrayBuffer(bytes);
    this.u32 = new Uint32Array(buf);
    this.f32 = new Float32Array(buf);
  }

  u(x: number): this {
    if (!(x >= 0 && x <= 0xffffffff && Number.isInteger(x))) throw new RangeError(`uniform u32 out of range: ${x}`);
    this.u32[this.i++] = x;
    return this;
  }

  f(x: number): this {
    this.f32[this.i++] = x;
    return this;
  }

  /** Skip to the next 16-byte boundary. */
  align16(): this {
    this.i = Math.ceil(this.i / 4) * 4;
    return this;
  }

  /** An array<vec4u, 2>: up to 8 values, zero-padded. */
  dims(values: readonly number[]): this {
    if (values.length > 8) throw new RangeError(`rank ${values.length} > 8 is not supported by the kernels`);
    this.align16();
    for (let k = 0; k < 8; k++) this.u(values[k] ?? 0);
    return this;
  }

  get buffer(): ArrayBuffer {
    if (this.i * 4 > this.bytes) throw new RangeError(`uniform overflow: wrote ${this.i * 4} of ${this.bytes} bytes`);
    return this.u32.buffer as ArrayBuffer;
  }
}
