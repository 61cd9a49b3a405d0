// File formats: IDX, CIFAR-10, safetensors, .npy. Hand-made tiny files, round trips, truncation at
// every byte, and property-based fuzzing (random, truncated and lying bytes) with fast-check: every
// case must parse or raise a FormatError, never crash, hang or allocate beyond the input's size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../src/errors.js';
import { gunzip } from '../src/data/bytes.js';
import { parseCifar10 } from '../src/data/cifar.js';
import { idxImageSet, parseIdx } from '../src/data/idx.js';
import { checkSameRows, parseNpy, serializeNpy } from '../src/data/npy.js';
import { parseSafetensors, serializeSafetensors } from '../src/data/safetensors.js';
import { gzipSync } from 'node:zlib';
import { fuzzParser, mutations } from './helpers/parser-fuzz.js';

// ---------- hand-made files ----------

function idxFile(type: number, dims: number[], body: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const dv = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

/** 2 images of 2×3 and their labels. */
const IMG = idxFile(0x08, [2, 2, 3], [0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6]);
const LAB = idxFile(0x08, [2], [7, 3]);

function cifarFile(labels: number[]): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((l, i) => {
    out[i * 3073] = l;
    for (let j = 0; j < 3072; j++) out[i * 3073 + 1 + j] = (i * 7 + j) % 256;
  });
  return out;
}

function npyV(major: number, dict: string, body: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(dict);
  const pre = major === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(body, pre + h.length);
  return out;
}
const num = (d: ArrayLike<number> | BigInt64Array): (number | bigint)[] => Array.from(d as ArrayLike<number | bigint>);
const f64bytes = (xs: number[]): Uint8Array => new Uint8Array(new Float64Array(xs).buffer);

const ST = serializeSafetensors(
  [
    ['conv.weight', { dtype: 'F32', shape: [2, 1, 1, 2], data: [1, -2, 3.5, 4] }],
    ['bn.num_batches_tracked', { dtype: 'I64', shape: [], data: [7] }],
    ['x', { dtype: 'F64', shape: [3], data: [0.1, 0.2, 0.3] }],
  ],
  { epoch: '3' },
);

describe('IDX', () => {
  it('reads a hand-made uint8 image and label file', () => {
    const im = parseIdx(IMG, 'img');
    expect(im.type).toBe('uint8');
    expect(im.dims).toEqual([2, 2, 3]);
    const set = idxImageSet(im, parseIdx(LAB, 'lab'));
    expect(set.shape).toEqual([1, 2, 3]);
    expect(Array.from(set.labels)).toEqual([7, 3]);
    expect(set.images[1]).toBeCloseTo(0.2, 6);
    expect(set.images[5]).toBe(1);
  });

  it('reads big-endian int16, int32, float32 and float64 elements', () => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, -1.25, false);
    expect(Array.from(parseIdx(idxFile(0x0e, [1], Array.from(b))).data)).toEqual([-1.25]);
    expect(Array.from(parseIdx(idxFile(0x0b, [2], [0xff, 0xfe, 0x01, 0x00])).data)).toEqual([-2, 256]);
    expect(Array.from(parseIdx(idxFile(0x0c, [1], [0, 1, 0, 0])).data)).toEqual([65536]);
    const f = new Uint8Array(4);
    new DataView(f.buffer).setFloat32(0, 3.5, false);
    expect(Array.from(parseIdx(idxFile(0x0d, [1], Array.from(f))).data)).toEqual([3.5]);
  });

  it('names file and byte for bad magic, types, lying sizes and trailing bytes', () => {
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]), 'f.idx')).toThrow(/IDX f\.idx: bad magic.*at byte 0/);
    expect(() => parseIdx(idxFile(0x07, [1], [0]), 'f.idx')).toThrow(/unknown element type 0x07.*at byte 2/);
    // Declares 2^32-1 images of 2^32-1 × 2^32-1 bytes: refused from the header, nothing allocated.
    expect(() => parseIdx(idxFile(0x08, [0xffffffff, 0xffffffff, 0xffffffff], []), 'huge')).toThrow(/truncated: header declares dims \[4294967295.*at byte 16/);
    expect(() => parseIdx(idxFile(0x08, [2], [1, 2, 3]), 'long')).toThrow(/1 unexpected trailing bytes.*at byte 10/);
    expect(() => parseIdx(gzipSync(IMG), 'a.gz')).toThrow(/gzip-compressed/);
  });

  it('rejects labels outside the classes and mismatched counts', () => {
    const im = parseIdx(IMG);
    expect(() => idxImageSet(im, parseIdx(idxFile(0x08, [2], [1, 10])), { labels: 'lab' })).toThrow(/lab: label 10 of example 1.*at byte 9/);
    expect(() => idxImageSet(im, parseIdx(idxFile(0x08, [3], [1, 1, 1])))).toThrow(/has 2 images but .* has 3 labels/);
  });

  it('gunzip (DecompressionStream) restores gzip bytes and passes raw bytes through', async () => {
    expect(Array.from(await gunzip(gzipSync(IMG)))).toEqual(Array.from(IMG));
    expect(await gunzip(IMG)).toBe(IMG);
    const broken = gzipSync(IMG).slice(0, 15);
    await expect(gunzip(broken, 'cut.gz')).rejects.toThrow(FormatError);
  });

  it('every truncation of a small file is a FormatError naming the file', () => {
    for (let n = 0; n < IMG.length; n++) expect(() => parseIdx(IMG.slice(0, n), 'img.idx')).toThrow(/IDX img\.idx: .*at byte \d+/);
  });
});

describe('CIFAR-10', () => {
  it('reads records into C×H×W planes in [0, 1]', () => {
    const s = parseCifar10(cifarFile([3, 9]), 'b.bin');
    expect(s.shape).toEqual([3, 32, 32]);
    expect(Array.from(s.labels)).toEqual([3, 9]);
    expect(s.images[3072 + 5]).toBeCloseTo(((7 + 5) % 256) / 255, 6);
  });

  it('rejects bad labels, empty and partial records with the byte offset', () => {
    expect(() => parseCifar10(cifarFile([1, 10]), 'b.bin')).toThrow(/b\.bin: record 1 has label 10.*at byte 3073/);
    expect(() => parseCifar10(new Uint8Array(0), 'e.bin')).toThrow(/empty file/);
    const f = cifarFile([1, 2]);
    for (const n of [1, 3072, 3074, 6145]) expect(() => parseCifar10(f.slice(0, n), 'c.bin')).toThrow(/truncated: record \d+ .*at byte \d+/);
  });
});

describe('.npy', () => {
  it('round-trips float32 and float64 matrices with a 64-byte aligned v1 header', () => {
    const a = Float32Array.from({ length: 15 }, (_, i) => i * 0.5 - 3);
    const f = serializeNpy(a, 3, 5);
    const h = new DataView(f.buffer).getUint16(8, true);
    expect((10 + h) % 64).toBe(0);
    const r = parseNpy(f, 'a.npy');
    expect([r.dtype, r.rows, r.cols]).toEqual(['float32', 3, 5]);
    expect(Array.from(r.data)).toEqual(Array.from(a));
    const b = Float64Array.from([Math.PI, -1e-300, 7]);
    const r2 = parseNpy(serializeNpy(b, 1, 3));
    expect(r2.dtype).toBe('float64');
    expect(Array.from(r2.data)).toEqual(Array.from(b));
  });

  it('reads v2 and v3 headers, and NumPy-style shapes', () => {
    const body = f64bytes([1, 2, 3, 4]);
    for (const major of [2, 3]) {
      const r = parseNpy(npyV(major, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }      \n", body));
      expect(Array.from(r.data)).toEqual([1, 2, 3, 4]);
    }
    // Key order differs and a long-int suffix from Python 2 era files.
    expect(parseNpy(npyV(1, "{'shape': (4L, 1L), 'fortran_order': False, 'descr': '<f8'}\n", body)).rows).toBe(4);
  });

  it('gives clear errors: magic, Fortran order, 3-D, 1-D, dtype, truncation, NaN with row/col', () => {
    const body = f64bytes([1, 2, 3, 4]);
    expect(() => parseNpy(new TextEncoder().encode('PK\u0003\u0004zipzip'), 'z.npy')).toThrow(/z\.npy: wrong magic/);
    expect(() => parseNpy(npyV(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }\n", body), 'f.npy')).toThrow(/Fortran order/);
    expect(() => parseNpy(npyV(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 2), }\n", body))).toThrow(/3 dimensions.*expected a 2-D matrix/);
    expect(() => parseNpy(npyV(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }\n", body))).toThrow(/1 dimensions/);
    expect(() => parseNpy(npyV(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }\n", body))).toThrow(/unsupported dtype '<i8'/);
    expect(() => parseNpy(npyV(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }\n", body))).toThrow(/big-endian/);
    expect(() => parseNpy(npyV(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }\n", body))).toThrow(/truncated: shape \(3, 2\) of float64 needs 48 data bytes but only 32/);
    expect(() => parseNpy(npyV(4, '{}', body))).toThrow(/unsupported format version 4/);
    const nan = serializeNpy(Float32Array.from([1, 2, 3, 4, NaN, 6]), 2, 3);
    expect(() => parseNpy(nan, 'n.npy')).toThrow(/n\.npy: NaN at row 1, column 1/);
    expect(() => parseNpy(serializeNpy(Float64Array.from([Infinity]), 1, 1))).toThrow(/Infinity at row 0, column 0/);
    expect(Number.isNaN(parseNpy(nan, 'n.npy', { allowNonFinite: true }).data[4])).toBe(true);
  });

  it('checkSameRows names both files when row counts differ', () => {
    const a = parseNpy(serializeNpy(new Float32Array(6), 3, 2));
    const b = parseNpy(serializeNpy(new Float32Array(8), 4, 2));
    expect(() => checkSameRows(a, b, 'a.npy', 'b.npy')).toThrow(/a\.npy has 3 rows .* but b\.npy has 4/);
    checkSameRows(a, a);
  });

  it('every truncation of a small file is a FormatError', () => {
    const f = serializeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3);
    for (let n = 0; n < f.length; n++) expect(() => parseNpy(f.slice(0, n), 't.npy')).toThrow(/\.npy t\.npy: .*at byte \d+/);
  });
});

describe('safetensors', () => {
  it('round-trips F32, I64 and F64 tensors and metadata; the data starts 8-byte aligned', () => {
    const n = Number(new DataView(ST.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const st = parseSafetensors(ST, 'a.safetensors');
    expect(st.metadata).toEqual({ epoch: '3' });
    const w = st.tensors.get('conv.weight')!;
    expect([w.dtype, w.shape]).toEqual(['F32', [2, 1, 1, 2]]);
    expect(num(w.data)).toEqual([1, -2, 3.5, 4]);
    expect(num(st.tensors.get('bn.num_batches_tracked')!.data)).toEqual([7n]);
    expect(num(st.tensors.get('x')!.data)).toEqual([0.1, 0.2, 0.3]);
  });

  /** A file from a header object and a data buffer, as another writer might produce it. */
  function raw(header: unknown, data: Uint8Array, lenOverride?: number): Uint8Array {
    const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
    const out = new Uint8Array(8 + h.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(lenOverride ?? h.length), true);
    out.set(h, 8);
    out.set(data, 8 + h.length);
    return out;
  }

  it('decodes F16, BF16, I32, I16, I8, U8 and BOOL', () => {
    // F16: 1.0 = 0x3c00, -2.5 = 0xc100, 2^-24 = 0x0001; BF16 1.5 = 0x3fc0.
    const f16 = new Uint8Array([0x00, 0x3c, 0x00, 0xc1, 0x01, 0x00]);
    const bf = new Uint8Array([0xc0, 0x3f]);
    const i32 = new Uint8Array(new Int32Array([-5]).buffer);
    const i16 = new Uint8Array(new Int16Array([-300]).buffer);
    const rest = new Uint8Array([0xff, 200, 1]);
    const data = new Uint8Array([...f16, ...bf, ...i32, ...i16, ...rest]);
    const st = parseSafetensors(
      raw(
        {
          h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
          b: { dtype: 'BF16', shape: [1], data_offsets: [6, 8] },
          i: { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
          s: { dtype: 'I16', shape: [1], data_offsets: [12, 14] },
          c: { dtype: 'I8', shape: [1], data_offsets: [14, 15] },
          u: { dtype: 'U8', shape: [1], data_offsets: [15, 16] },
          o: { dtype: 'BOOL', shape: [1], data_offsets: [16, 17] },
        },
        data,
      ),
    );
    expect(num(st.tensors.get('h')!.data)).toEqual([1, -2.5, 2 ** -24]);
    expect(num(st.tensors.get('b')!.data)).toEqual([1.5]);
    expect(num(st.tensors.get('i')!.data)).toEqual([-5]);
    expect(num(st.tensors.get('s')!.data)).toEqual([-300]);
    expect(num(st.tensors.get('c')!.data)).toEqual([-1]);
    expect(num(st.tensors.get('u')!.data)).toEqual([200]);
    expect(num(st.tensors.get('o')!.data)).toEqual([1]);
  });

  it('rejects malformed headers and lying offsets with clear messages', () => {
    const d8 = new Uint8Array(8);
    const t = (o: unknown, d = d8) => () => parseSafetensors(raw(o, d), 'm.st');
    expect(() => parseSafetensors(raw({}, d8, 1e12), 'big.st')).toThrow(/big\.st: header length 1000000000000 exceeds/);
    expect(() => parseSafetensors(raw({}, d8, 500), 'far.st')).toThrow(/header length 500 reaches beyond the end of the file/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    expect(() => parseSafetensors(huge, 'h.st')).toThrow(/beyond any real file/);
    expect(t('{"a": ')).toThrow(/not valid JSON/);
    expect(t('[1, 2]')).toThrow(/does not start with "\{"/);
    expect(t({ a: { dtype: 'Q8', shape: [2], data_offsets: [0, 8] } })).toThrow(/tensor "a": unsupported dtype "Q8"/);
    expect(t({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } })).toThrow(/shape \[-1\] is not a list/);
    expect(t({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } })).toThrow(/shape \[3\] of F32 needs 12 bytes but data_offsets give 8/);
    expect(t({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } })).toThrow(/reach beyond the 8-byte data buffer/);
    expect(t({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } })).toThrow(/end before they begin/);
    expect(t({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } })).toThrow(/overlaps tensor "a"/);
    expect(t({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } })).toThrow(/hole in the data buffer: bytes \[0, 4\)/);
    expect(t({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } })).toThrow(/4 bytes after the last tensor/);
    expect(t({ __metadata__: { k: 1 } }, new Uint8Array(0))).toThrow(/metadata values must be strings/);
    const bad = raw({}, new Uint8Array(0));
    bad[8] = 0xff;
    expect(() => parseSafetensors(bad, 'u.st')).toThrow(/not valid UTF-8/);
    expect(() => parseSafetensors(raw({ __proto__x: 1 }, new Uint8Array(0)))).toThrow(FormatError);
  });

  it('every truncation of a small file is a FormatError', () => {
    for (let n = 0; n < ST.length; n++) expect(() => parseSafetensors(ST.slice(0, n), 't.st')).toThrow(/safetensors t\.st: .*at byte \d+/);
  });
});

describe('browser safety', () => {
  it('the data namespace bundles for the browser without Node built-ins', async () => {
    const { build } = await import('esbuild');
    const r = await build({ entryPoints: ['src/data/index.ts'], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', external: ['mnist/*'] });
    const code = r.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["'](node:)?(fs|zlib|path|crypto)["']\)/);
    expect(code).toContain('DecompressionStream');
  });
});

describe('inputs that are views', () => {
  it('parse Node Buffers and Uint8Array views at odd offsets inside larger buffers', () => {
    const embed = (f: Uint8Array): [Buffer, Uint8Array] => {
      const big = Buffer.alloc(f.length + 9, 0xee);
      big.set(f, 3);
      return [big.subarray(3, 3 + f.length), new Uint8Array(big.buffer, big.byteOffset + 3, f.length)];
    };
    const npy = serializeNpy(Float64Array.from([1.5, -2, 3, 4]), 2, 2);
    for (const v of embed(npy)) expect(Array.from(parseNpy(v).data)).toEqual([1.5, -2, 3, 4]);
    for (const v of embed(ST)) expect(num(parseSafetensors(v).tensors.get('conv.weight')!.data)).toEqual([1, -2, 3.5, 4]);
    for (const v of embed(IMG)) expect(Array.from(parseIdx(v).data)).toEqual([0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6]);
  });
});

// ---------- property-based fuzzing ----------

const NPY = serializeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3);
const CIFAR = cifarFile([4]);
const RUNS = 1500;

describe('fuzz (fast-check)', () => {
  const targets: [string, Uint8Array, (b: Uint8Array) => { length: number }][] = [
    ['IDX', IMG, (b) => parseIdx(b, 'fuzz').data],
    ['CIFAR-10', CIFAR, (b) => parseCifar10(b, 'fuzz').images],
    ['.npy', NPY, (b) => parseNpy(b, 'fuzz').data],
    ['safetensors', ST, (b) => ({ length: [...parseSafetensors(b, 'fuzz').tensors.values()].reduce((a, t) => a + t.data.length, 0) })],
  ];
  it('round trips: random matrices through .npy and random tensor sets through safetensors', () => {
    let cases = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.boolean(), fc.integer(), (rows, cols, f64, seed) => {
        const vals = Array.from({ length: rows * cols }, (_, i) => Math.sin(seed + i) * 1e3);
        const data = f64 ? Float64Array.from(vals) : Float32Array.from(vals);
        const r = parseNpy(serializeNpy(data, rows, cols));
        expect([r.rows, r.cols, r.dtype]).toEqual([rows, cols, f64 ? 'float64' : 'float32']);
        expect(Array.from(r.data)).toEqual(Array.from(data));
        cases++;
      }),
      { numRuns: 300, seed: 7 },
    );
    const tensorArb = fc.record({
      dtype: fc.constantFrom('F32' as const, 'F64' as const, 'I32' as const, 'I64' as const),
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__metadata__'), tensorArb, { maxKeys: 5 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (spec, meta) => {
        const entries = Object.entries(spec).map(([k, t]) => {
          const n = t.shape.reduce((a, b) => a * b, 1);
          const v = Array.from({ length: n }, (_, i) => (t.dtype[0] === 'F' ? Math.fround(Math.cos(t.seed + i)) : ((t.seed + i * 7919) | 0)));
          return [k, { dtype: t.dtype, shape: t.shape, data: v }] as [string, { dtype: 'F32' | 'F64' | 'I32' | 'I64'; shape: number[]; data: number[] }];
        });
        const st = parseSafetensors(serializeSafetensors(entries, meta));
        expect(Object.keys(st.metadata).length).toBe(Object.keys(meta).length);
        for (const [k, v] of Object.entries(meta)) expect(st.metadata[k]).toBe(v);
        expect(st.tensors.size).toBe(entries.length);
        for (const [k, t] of entries) {
          const got = st.tensors.get(k)!;
          expect([got.dtype, got.shape]).toEqual([t.dtype, t.shape]);
          expect(num(got.data).map(Number)).toEqual(t.data);
        }
        cases++;
      }),
      { numRuns: 300, seed: 8 },
    );
    console.log(`round trips: ${cases} cases`);
  });

  for (const [name, valid, parse] of targets) {
    it(`${name}: random, truncated and lying bytes parse or raise FormatError, with output bounded by input`, () => {
      fuzzParser(name, mutations(valid), (b) => parse(b).length, RUNS, 20261123);
    });
  }
});
