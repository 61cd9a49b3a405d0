import { ShapeError, ValueError } from '../errors.js';
import { ByteReader, copyBytes, hostIsLittleEndian, product } from './bytes.js';

/**
 * NumPy .npy files (format versions 1.0, 2.0, 3.0): magic "\x93NUMPY", major, minor, a header
 * length (u16 LE in v1, u32 LE in v2/v3), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (100, 64), }
 * padded with spaces and ended by '\n', then the data. `parseNpyArray` reads any rank of the
 * little-endian numeric dtypes in C order; `parseNpy` the 2-D float32/float64 matrices CKA needs.
 * Everything else is a clear FormatError naming the file and byte.
 */
export type NpyDtype = 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'bool';

const DESCR: Record<string, [NpyDtype, number]> = {
  '<f4': ['float32', 4], '<f8': ['float64', 8], '|i1': ['int8', 1], '<i2': ['int16', 2], '<i4': ['int32', 4], '<i8': ['int64', 8],
  '|u1': ['uint8', 1], '<u2': ['uint16', 2], '<u4': ['uint32', 4], '|b1': ['bool', 1],
};
const DESCR_OF = Object.fromEntries(Object.entries(DESCR).map(([d, [t]]) => [t, d])) as Record<NpyDtype, string>;

export type NpyData = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** Row-major values (int64 exactly, as a BigInt64Array; bool as 0/1 bytes). */
  data: NpyData;
}

export interface Npy2D {
  dtype: 'float32' | 'float64';
  rows: number;
  cols: number;
  /** Row-major values. */
  data: Float32Array | Float64Array;
}

export interface NpyReadOptions {
  /** Accept NaN and ±Inf (default false: the first non-finite value is an error naming its row and column). */
  allowNonFinite?: boolean;
}

/** NumPy itself refuses headers above 10,000 bytes by default; we allow a little more. */
const MAX_HEADER = 1 << 20;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Read an array of one of `dtypes` (default: all numeric dtypes above), any rank, C order. */
export function parseNpyArray(bytes: Uint8Array, file = '<npy>', dtypes: readonly NpyDtype[] = Object.keys(DESCR_OF) as NpyDtype[]): NpyArray {
  const r: ByteReader = new ByteReader(bytes, file, '.npy');
  r.need(0, 8, 'the magic string and version');
  for (let i = 0; i < 6; i++) if (bytes[i] !== MAGIC[i]) r.fail(i, 'wrong magic: .npy files start with "\\x93NUMPY" (is this a .npz archive or a text file?)');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) r.fail(6, `unsupported format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
  const hlen = major === 1 ? r.u16le(8, 'the header length') : r.u32le(8, 'the header length');
  const hstart = major === 1 ? 10 : 12;
  if (hlen > MAX_HEADER) r.fail(8, `header length ${hlen} exceeds ${MAX_HEADER} bytes; NumPy headers are a few hundred bytes`);
  r.need(hstart, hlen, `the ${hlen}-byte header`);
  const raw = bytes.subarray(hstart, hstart + hlen);
  // v1/v2 headers are latin-1, v3 UTF-8; the keys and values we accept are ASCII either way.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(raw);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!header.trimStart().startsWith('{') || descr === undefined || fortran === undefined || shapeText === undefined) {
    r.fail(hstart, `header is not a dict with 'descr', 'fortran_order' and 'shape': ${JSON.stringify(header.slice(0, 120))}`);
  }
  const known = DESCR[descr];
  const expected = dtypes.map((t) => `${t} ('${DESCR_OF[t]}')`).join(', ');
  if (!known && /^>/.test(descr)) r.fail(hstart, `dtype '${descr}' is big-endian; save little-endian with arr.astype('<${descr.slice(1)}')`);
  if (!known || !dtypes.includes(known[0])) r.fail(hstart, `unsupported dtype '${descr}'; expected ${expected}: convert with arr.astype(np.${dtypes[0]})`);
  const [dtype, width] = known;
  if (fortran === 'True') r.fail(hstart, 'array is in Fortran order; save a C-ordered copy with np.save(path, np.ascontiguousarray(arr))');
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (!dims.every((d) => /^\d+L?$/.test(d))) r.fail(hstart, `shape (${shapeText}) is not a tuple of non-negative integers`);
  const shape = dims.map((d) => parseInt(d, 10));
  const start = hstart + hlen;
  const count = product(shape);
  const want = count * width;
  const shown = `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  if (bytes.length - start < want) r.fail(start, `truncated: shape ${shown} of ${dtype} needs ${want} data bytes but only ${bytes.length - start} follow the header`);
  if (bytes.length - start > want) r.fail(start + want, `${bytes.length - start - want} unexpected bytes after the data of shape ${shown}`);
  return { dtype, shape, data: decode(copyBytes(bytes, start, start + want), dtype, count) };
}

function decode(copy: Uint8Array, dtype: NpyDtype, n: number): NpyData {
  const dv = new DataView(copy.buffer);
  const le = hostIsLittleEndian;
  switch (dtype) {
    case 'float32': return le ? new Float32Array(copy.buffer) : Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
    case 'float64': return le ? new Float64Array(copy.buffer) : Float64Array.from({ length: n }, (_, i) => dv.getFloat64(8 * i, true));
    case 'int16': return le ? new Int16Array(copy.buffer) : Int16Array.from({ length: n }, (_, i) => dv.getInt16(2 * i, true));
    case 'int32': return le ? new Int32Array(copy.buffer) : Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true));
    case 'int64': return le ? new BigInt64Array(copy.buffer) : BigInt64Array.from({ length: n }, (_, i) => dv.getBigInt64(8 * i, true));
    case 'uint16': return le ? new Uint16Array(copy.buffer) : Uint16Array.from({ length: n }, (_, i) => dv.getUint16(2 * i, true));
    case 'uint32': return le ? new Uint32Array(copy.buffer) : Uint32Array.from({ length: n }, (_, i) => dv.getUint32(4 * i, true));
    case 'int8': return new Int8Array(copy.buffer);
    case 'uint8':
    case 'bool': return copy;
  }
}

/** A 2-D float32 or float64 matrix (rows = examples), finite unless allowNonFinite. */
export function parseNpy(bytes: Uint8Array, file = '<npy>', opts: NpyReadOptions = {}): Npy2D {
  const a = parseNpyArray(bytes, file, ['float32', 'float64']);
  const r: ByteReader = new ByteReader(bytes, file, '.npy');
  if (a.shape.length !== 2) r.fail(0, `array has ${a.shape.length} dimensions (shape (${a.shape.join(', ')})); expected a 2-D matrix (rows = examples): reshape it with arr.reshape(len(arr), -1)`);
  const [rows, cols] = a.shape as [number, number];
  const data = a.data as Float32Array | Float64Array;
  if (!opts.allowNonFinite) {
    const width = a.dtype === 'float32' ? 4 : 8;
    const start = bytes.length - data.length * width;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isFinite(v)) {
        const row = Math.floor(i / cols);
        r.fail(start + i * width, `${Number.isNaN(v) ? 'NaN' : v} at row ${row}, column ${i - row * cols}; clean the features first (or pass allowNonFinite)`);
      }
    }
  }
  return { dtype: a.dtype as Npy2D['dtype'], rows, cols, data };
}

/**
 * Write a 2-D float32 or float64 matrix as a version 1.0 .npy file (C order, little-endian).
 * The header is padded so that the data starts at a multiple of 64 bytes, as NumPy does.
 */
export function serializeNpy(data: ArrayLike<number>, rows: number, cols: number, dtype: 'float32' | 'float64' = data instanceof Float64Array ? 'float64' : 'float32'): Uint8Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || rows * cols !== data.length) {
    throw new ValueError(`serializeNpy: ${data.length} values do not make a ${rows}×${cols} matrix`);
  }
  let dict = `{'descr': '${dtype === 'float32' ? '<f4' : '<f8'}', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const total = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const width = dtype === 'float32' ? 4 : 8;
  const out = new Uint8Array(10 + dict.length + data.length * width);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  dv.setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  let p = 10 + dict.length;
  if (dtype === 'float32') for (let i = 0; i < data.length; i++, p += 4) dv.setFloat32(p, data[i]!, true);
  else for (let i = 0; i < data.length; i++, p += 8) dv.setFloat64(p, data[i]!, true);
  return out;
}

/** Two feature matrices for CKA must describe the same examples: equal row counts, or a ShapeError naming both files. */
export function checkSameRows(a: Npy2D, b: Npy2D, fileA = 'A', fileB = 'B'): void {
  if (a.rows !== b.rows) {
    throw new ShapeError(`${fileA} has ${a.rows} rows (examples) but ${fileB} has ${b.rows}; both feature matrices must have one row per example, in the same order`);
  }
}
