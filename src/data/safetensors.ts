import { ValueError } from '../errors.js';
import { ByteReader, copyBytes, hostIsLittleEndian, product } from './bytes.js';

/**
 * safetensors (huggingface/safetensors): u64 little-endian header length N, N bytes of UTF-8 JSON
 *   { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, …,
 *     "__metadata__": { "<key>": "<string>" } }
 * then the data buffer; offsets are relative to its start (byte 8 + N), row-major, little-endian.
 * The parser checks everything against the real length before it reads or allocates: header length
 * beyond the file, bad JSON, unknown dtypes, offsets out of range or overlapping or leaving holes
 * (the reference implementation rejects those too), byte counts that disagree with the shape.
 */
export type StDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const ITEM: Record<StDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** The largest header the reference implementation accepts (100 MB). */
export const MAX_HEADER = 100_000_000;

export type StData = Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** One tensor: F16 and BF16 are decoded to Float32Array, I64 stays exact in a BigInt64Array. */
export interface StTensor {
  dtype: StDtype;
  shape: number[];
  data: StData;
}

export interface Safetensors {
  tensors: Map<string, StTensor>;
  metadata: Record<string, string>;
}

export function parseSafetensors(bytes: Uint8Array, file = '<safetensors>'): Safetensors {
  const r: ByteReader = new ByteReader(bytes, file, 'safetensors');
  const n = r.u64le(0, 'the 8-byte header length');
  if (n === 0) r.fail(0, 'header length is 0; the header must be at least "{}"');
  if (n > MAX_HEADER) r.fail(0, `header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  if (8 + n > bytes.length) r.fail(0, `header length ${n} reaches beyond the end of the file (only ${bytes.length - 8} bytes follow)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    r.fail(8, 'header is not valid UTF-8');
  }
  if (text.trimStart()[0] !== '{') r.fail(8, 'header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    r.fail(8, `header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) r.fail(8, 'header is not a JSON object');

  const dataStart = 8 + n;
  const bufLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: StDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) r.fail(8, '__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') r.fail(8, `__metadata__.${k} is ${typeof s}; metadata values must be strings`);
        Object.defineProperty(metadata, k, { value: s, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const what = `tensor "${name}"`;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) r.fail(8, `${what}: entry is not an object`);
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !(e.dtype in ITEM)) r.fail(8, `${what}: unsupported dtype ${JSON.stringify(e.dtype)} (expected one of ${Object.keys(ITEM).join(', ')})`);
    const dtype = e.dtype as StDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) r.fail(8, `${what}: shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) r.fail(8, `${what}: data_offsets ${JSON.stringify(off)} is not [begin, end]`);
    const [begin, end] = off as [number, number];
    if (begin > end) r.fail(8, `${what}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > bufLen) r.fail(dataStart + begin, `${what}: data_offsets [${begin}, ${end}] reach beyond the ${bufLen}-byte data buffer (truncated file?)`);
    const want = product(shape) * ITEM[dtype];
    if (want !== end - begin) r.fail(dataStart + begin, `${what}: shape [${shape.join(', ')}] of ${dtype} needs ${want} bytes but data_offsets give ${end - begin}`);
    entries.push({ name, dtype, shape, begin, end });
  }
  // Offsets must tile the buffer: sorted, no overlap, no hole, nothing left over.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev = '';
  for (const e of sorted) {
    if (e.begin < at) r.fail(dataStart + e.begin, `tensor "${e.name}" [${e.begin}, ${e.end}] overlaps tensor "${prev}" (which ends at ${at})`);
    if (e.begin > at) r.fail(dataStart + at, `hole in the data buffer: bytes [${at}, ${e.begin}) belong to no tensor`);
    at = e.end;
    prev = e.name;
  }
  if (at !== bufLen) r.fail(dataStart + at, `${bufLen - at} bytes after the last tensor belong to no tensor`);

  const tensors = new Map<string, StTensor>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decodeTensorData(bytes, dataStart + e.begin, dataStart + e.end, e.dtype) });
  return { tensors, metadata };
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The little-endian values of bytes [a, b) as `dtype` (copied into an own, aligned buffer; F16/BF16 widened to f32). */
export function decodeTensorData(bytes: Uint8Array, a: number, b: number, dtype: StDtype): StData {
  const copy = copyBytes(bytes, a, b); // own, aligned buffer
  const dv = new DataView(copy.buffer);
  const n = (b - a) / ITEM[dtype];
  const le = hostIsLittleEndian;
  switch (dtype) {
    case 'F64':
      return le ? new Float64Array(copy.buffer) : Float64Array.from({ length: n }, (_, i) => dv.getFloat64(8 * i, true));
    case 'F32':
      return le ? new Float32Array(copy.buffer) : Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
    case 'I64':
      return le ? new BigInt64Array(copy.buffer) : BigInt64Array.from({ length: n }, (_, i) => dv.getBigInt64(8 * i, true));
    case 'I32':
      return le ? new Int32Array(copy.buffer) : Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true));
    case 'I16':
      return le ? new Int16Array(copy.buffer) : Int16Array.from({ length: n }, (_, i) => dv.getInt16(2 * i, true));
    case 'F16':
      return Float32Array.from({ length: n }, (_, i) => f16(dv.getUint16(2 * i, true)));
    case 'BF16':
      return Float32Array.from({ length: n }, (_, i) => bf16(copy, i));
    case 'I8':
      return new Int8Array(copy.buffer);
    case 'U8':
    case 'BOOL':
      return copy;
  }
}

const bfScratch = new DataView(new ArrayBuffer(4));
function bf16(b: Uint8Array, i: number): number {
  bfScratch.setUint32(0, ((b[2 * i + 1]! << 8) | b[2 * i]!) << 16, false);
  return bfScratch.getFloat32(0, false);
}

/** A tensor to write: F32/F64/I32/I64 from any numbers of the right count. */
export interface StWrite {
  dtype: 'F32' | 'F64' | 'I32' | 'I64';
  shape: readonly number[];
  data: ArrayLike<number> | BigInt64Array;
}

/**
 * Serialize tensors (in the given order) and string metadata. The header is padded with spaces
 * to a multiple of 8 bytes so every tensor starts 8-byte aligned, as the reference writer does.
 */
export function serializeSafetensors(tensors: Iterable<[string, StWrite]>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  const seen = new Set<string>();
  const put = (k: string, v: unknown): void => void Object.defineProperty(header, k, { value: v, enumerable: true, writable: true, configurable: true });
  if (Object.keys(metadata).length) put('__metadata__', metadata);
  const list = [...tensors];
  let at = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new ValueError('serializeSafetensors: "__metadata__" is reserved');
    if (seen.has(name)) throw new ValueError(`serializeSafetensors: duplicate tensor name "${name}"`);
    const count = product(t.shape);
    if (count !== t.data.length) throw new ValueError(`serializeSafetensors: "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    const size = count * ITEM[t.dtype];
    seen.add(name);
    put(name, { dtype: t.dtype, shape: [...t.shape], data_offsets: [at, at + size] });
    at += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + at);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, json.length, true);
  dv.setUint32(4, 0, true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const [, t] of list) {
    const n = t.data.length;
    const d = t.data as ArrayLike<number | bigint>;
    switch (t.dtype) {
      case 'F32':
        for (let i = 0; i < n; i++, p += 4) dv.setFloat32(p, Number(d[i]), true);
        break;
      case 'F64':
        for (let i = 0; i < n; i++, p += 8) dv.setFloat64(p, Number(d[i]), true);
        break;
      case 'I32':
        for (let i = 0; i < n; i++, p += 4) dv.setInt32(p, Number(d[i]), true);
        break;
      case 'I64':
        for (let i = 0; i < n; i++, p += 8) dv.setBigInt64(p, BigInt(d[i]!), true);
        break;
    }
  }
  return out;
}
