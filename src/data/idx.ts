import { FormatError } from '../errors.js';
import { ByteReader, copyBytes, isGzip, product } from './bytes.js';

/**
 * IDX files (LeCun's MNIST format, also Fashion-MNIST): magic 00 00 TT NN, then NN big-endian u32
 * dimensions, then the values in row-major order, big-endian. TT is the element type.
 * Parsers take already-decompressed bytes; use `gunzip` (bytes.ts) or fs-node's readers for .gz.
 */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

const TYPES: Record<number, [IdxType, number]> = {
  0x08: ['uint8', 1],
  0x09: ['int8', 1],
  0x0b: ['int16', 2],
  0x0c: ['int32', 4],
  0x0d: ['float32', 4],
  0x0e: ['float64', 8],
};

export interface IdxArray {
  type: IdxType;
  dims: number[];
  /** Values in row-major order (uint8 data stays a Uint8Array view-free copy). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Parse one IDX file. `file` names it in errors. */
export function parseIdx(bytes: Uint8Array, file = '<idx>'): IdxArray {
  const r: ByteReader = new ByteReader(bytes, file, 'IDX');
  if (isGzip(bytes)) r.fail(0, 'is gzip-compressed; decompress it first (gunzip() or readIdxFile in robustlens/node)');
  r.need(0, 4, 'the magic number');
  if (bytes[0] !== 0 || bytes[1] !== 0) r.fail(0, `bad magic ${hex(bytes, 0, 4)}: IDX files start with 00 00`);
  const code = bytes[2]!;
  const t = TYPES[code];
  if (!t) r.fail(2, `unknown element type 0x${code.toString(16).padStart(2, '0')} (expected 08, 09, 0B, 0C, 0D or 0E)`);
  const [type, width] = t;
  const ndim = bytes[3]!;
  if (ndim === 0) r.fail(3, 'zero dimensions');
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(r.u32be(4 + 4 * d, `dimension ${d} of ${ndim}`));
  const start = 4 + 4 * ndim;
  const count = product(dims);
  const expected = count * width;
  // Check the declared size against the real length before allocating anything.
  if (start + expected !== bytes.length) {
    if (start + expected > bytes.length) {
      r.fail(start, `truncated: header declares dims [${dims.join(', ')}] of ${type} = ${expected} data bytes, but only ${bytes.length - start} follow the header`);
    }
    r.fail(start + expected, `${bytes.length - start - expected} unexpected trailing bytes after dims [${dims.join(', ')}] of ${type}`);
  }
  return { type, dims, data: readBigEndian(r, start, count, type, width) };
}

function readBigEndian(r: ByteReader, start: number, n: number, type: IdxType, width: number): IdxArray['data'] {
  const v = r.view;
  switch (type) {
    case 'uint8':
      return copyBytes(r.bytes, start, start + n);
    case 'int8':
      return new Int8Array(copyBytes(r.bytes, start, start + n).buffer);
    case 'int16': {
      const a = new Int16Array(n);
      for (let i = 0; i < n; i++) a[i] = v.getInt16(start + i * width, false);
      return a;
    }
    case 'int32': {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = v.getInt32(start + i * width, false);
      return a;
    }
    case 'float32': {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = v.getFloat32(start + i * width, false);
      return a;
    }
    case 'float64': {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = v.getFloat64(start + i * width, false);
      return a;
    }
  }
}

function hex(b: Uint8Array, from: number, n: number): string {
  return Array.from(b.subarray(from, from + n), (x) => x.toString(16).padStart(2, '0')).join(' ');
}

export interface ImageSet {
  /** N×C×H×W, scaled to [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  shape: [number, number, number];
  classes: number;
}

/**
 * Combine an IDX image file (uint8, [N, H, W]) and a label file (uint8, [N]) into images in [0, 1]
 * with shape N×1×H×W. Counts must agree; labels must lie below `classes`.
 */
export function idxImageSet(images: IdxArray, labels: IdxArray, names: { images?: string; labels?: string } = {}, classes = 10): ImageSet {
  const fi = names.images ?? '<images>';
  const fl = names.labels ?? '<labels>';
  if (images.type !== 'uint8' || images.dims.length !== 3) {
    throw new FormatError(`IDX ${fi}: expected uint8 images with 3 dimensions [N, H, W], got ${images.type} [${images.dims.join(', ')}]`);
  }
  if (labels.type !== 'uint8' || labels.dims.length !== 1) {
    throw new FormatError(`IDX ${fl}: expected uint8 labels with 1 dimension [N], got ${labels.type} [${labels.dims.join(', ')}]`);
  }
  const [n, h, w] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) throw new FormatError(`IDX ${fi} has ${n} images but ${fl} has ${labels.dims[0]} labels`);
  const px = images.data as Uint8Array;
  const out = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) out[i] = px[i]! / 255;
  const lab = new Int32Array(n);
  const src = labels.data as Uint8Array;
  for (let i = 0; i < n; i++) {
    if (src[i]! >= classes) throw new FormatError(`IDX ${fl}: label ${src[i]} of example ${i} is not below ${classes} (at byte ${8 + i})`);
    lab[i] = src[i]!;
  }
  return { images: out, labels: lab, shape: [1, h, w], classes };
}
