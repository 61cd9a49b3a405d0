import { ShapeError, ValueError } from '../errors.js';
import { ByteReader, copyBytes, hostIsLittleEndian, product } from './bytes.js';

/**
 * NumPy .npy files (format versions 1.0, 2.0, 3.0): magic "\x93NUMPY", major, minor, a header
 * length (u16 LE in v1, u32 LE in v2/v3), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (100, 64), }
 * padded with spaces and ended by '\n', then the data. We read what CKA needs: 2-D float32 or
 * float64, little-endian, C order; everything else is a clear FormatError.
 */
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

export function parseNpy(bytes: Uint8Array, file = '<npy>', opts: NpyReadOptions = {}): Npy2D {
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
  let dtype: Npy2D['dtype'];
  if (descr === '<f4') dtype = 'float32';
  else if (descr === '<f8') dtype = 'float64';
  else if (descr === '>f4' || descr === '>f8') r.fail(hstart, `dtype '${descr}' is big-endian; save little-endian with arr.astype('<f4')`);
  else r.fail(hstart, `unsupported dtype '${descr}'; expected float32 ('<f4') or float64 ('<f8'): convert with arr.astype(np.float32)`);
  if (fortran === 'True') r.fail(hstart, 'array is in Fortran order; save a C-ordered copy with np.save(path, np.ascontiguousarray(arr))');
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (!dims.every((d) => /^\d+L?$/.test(d))) r.fail(hstart, `shape (${shapeText}) is not a tuple of non-negative integers`);
  const shape = dims.map((d) => parseInt(d, 10));
  if (shape.length !== 2) r.fail(hstart, `array has ${shape.length} dimensions (shape (${shape.join(', ')})); expected a 2-D matrix (rows = examples): reshape it with arr.reshape(len(arr), -1)`);
  const [rows, cols] = shape as [number, number];
  const width = dtype === 'float32' ? 4 : 8;
  const start = hstart + hlen;
  const count = product(shape);
  const want = count * width;
  if (bytes.length - start < want) r.fail(start, `truncated: shape (${rows}, ${cols}) of ${dtype} needs ${want} data bytes but only ${bytes.length - start} follow the header`);
  if (bytes.length - start > want) r.fail(start + want, `${bytes.length - start - want} unexpected bytes after the data of shape (${rows}, ${cols})`);
  const copy = copyBytes(bytes, start, start + want);
  const dv = new DataView(copy.buffer);
  let data: Float32Array | Float64Array;
  if (dtype === 'float32') data = hostIsLittleEndian ? new Float32Array(copy.buffer) : Float32Array.from({ length: count }, (_, i) => dv.getFloat32(4 * i, true));
  else data = hostIsLittleEndian ? new Float64Array(copy.buffer) : Float64Array.from({ length: count }, (_, i) => dv.getFloat64(8 * i, true));
  if (!opts.allowNonFinite) {
    for (let i = 0; i < count; i++) {
      const v = data[i]!;
      if (!Number.isFinite(v)) {
        const row = Math.floor(i / cols);
        r.fail(start + i * width, `${Number.isNaN(v) ? 'NaN' : v} at row ${row}, column ${i - row * cols}; clean the features first (or pass allowNonFinite)`);
      }
    }
  }
  return { dtype, rows, cols, data };
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
