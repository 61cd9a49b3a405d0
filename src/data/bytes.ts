import { FormatError } from '../errors.js';

/**
 * Bounds-checked reading of binary files. Every parser in src/data goes through `need` before it
 * touches a byte or allocates, so a truncated or lying file becomes a FormatError naming the file
 * and the byte offset, never a RangeError, a read past the buffer or a huge allocation.
 */
export class ByteReader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    readonly format: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  fail(offset: number, what: string): never {
    throw new FormatError(`${this.format} ${this.file}: ${what} (at byte ${offset}; file is ${this.bytes.length} bytes)`);
  }

  /** Require `count` bytes from `offset`; `what` says what they were supposed to hold. */
  need(offset: number, count: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(count) || count < 0 || offset < 0 || offset + count > this.bytes.length) {
      this.fail(offset, `truncated: ${what} needs ${count} bytes but only ${Math.max(0, this.bytes.length - offset)} remain`);
    }
  }

  u8(offset: number, what: string): number {
    this.need(offset, 1, what);
    return this.bytes[offset]!;
  }

  u16le(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32be(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, false);
  }

  u32le(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  /** A 64-bit little-endian length as a safe integer (or a FormatError when it exceeds 2^53). */
  u64le(offset: number, what: string): number {
    this.need(offset, 8, what);
    const lo = this.view.getUint32(offset, true);
    const hi = this.view.getUint32(offset + 4, true);
    if (hi >= 0x200000) this.fail(offset, `${what} is ${(BigInt(hi) << 32n) | BigInt(lo)}, beyond any real file`);
    return hi * 4294967296 + lo;
  }
}

/**
 * A copy of bytes [a, b) in a fresh ArrayBuffer (offset 0, so typed arrays over it are aligned).
 * Not `bytes.slice`: on a Node Buffer that returns a view into the shared pool, not a copy.
 */
export function copyBytes(bytes: Uint8Array, a: number, b: number): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes, a, b);
}

/** True on little-endian hosts (all current browsers' and Node's platforms); checked once. */
export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Product of dims with an overflow check; returns Infinity when it passes 2^53. */
export function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return n;
}

/** gzip files start with 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompress gzip bytes with the platform's DecompressionStream (browsers, Deno, Node >= 18).
 * Input that is not gzip is returned unchanged, so callers can pass raw or compressed files.
 * In Node, src/data/fs-node.ts uses node:zlib instead (synchronous, faster).
 */
export async function gunzip(bytes: Uint8Array, file = '<bytes>'): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const DS = (globalThis as { DecompressionStream?: new (f: string) => TransformStream<Uint8Array, Uint8Array> }).DecompressionStream;
  if (!DS) throw new FormatError(`gzip ${file}: this runtime has no DecompressionStream; decompress the file first`);
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DS('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new FormatError(`gzip ${file}: corrupt or truncated gzip data (${(e as Error).message})`);
  }
}
