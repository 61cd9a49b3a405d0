// Hand-made PyTorch files for the .pt reader's tests: a pickle assembler (opcode bytes as
// pickletools names them), torch.save's state-dict pickle, its zip archive (stored entries, the
// zip64 end records torch writes, optionally every field saturated so that only zip64 holds the
// values) and the legacy format. They mirror what `pickletools.dis` shows for torch 1.13's output.
import { crc32 } from '../../src/data/zip.js';

const enc = new TextEncoder();
const u16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const u64 = (v: number): number[] => [...u32(v % 2 ** 32), ...u32(Math.floor(v / 2 ** 32))];

/** Pickle opcodes as byte arrays (protocol 2 unless noted). */
export const op = {
  proto: (v = 2): number[] => [0x80, v],
  stop: [0x2e], mark: [0x28], none: [0x4e], true: [0x88], false: [0x89],
  emptyTuple: [0x29], tuple: [0x74], tuple1: [0x85], tuple2: [0x86], tuple3: [0x87],
  emptyDict: [0x7d], setitem: [0x73], setitems: [0x75], emptyList: [0x5d], appends: [0x65],
  reduce: [0x52], build: [0x62], binpersid: [0x51],
  global: (module: string, name: string): number[] => [0x63, ...enc.encode(`${module}\n${name}\n`)],
  /** Protocol 4: module and name as strings on the stack. */
  stackGlobal: [0x93],
  str: (s: string): number[] => {
    const b = enc.encode(s);
    return [0x58, ...u32(b.length), ...b];
  },
  int: (n: number): number[] => (n >= 0 && n < 256 ? [0x4b, n] : n >= 0 && n < 65536 ? [0x4d, ...u16(n)] : [0x4a, ...u32(n >>> 0)]),
  binput: (i: number): number[] => [0x71, i],
  binget: (i: number): number[] => [0x68, i],
};

export type Dt = 'F32' | 'F64' | 'F16' | 'I64' | 'I32' | 'U8' | 'BOOL';
const STORAGE: Record<Dt, [string, number]> = {
  F32: ['FloatStorage', 4], F64: ['DoubleStorage', 8], F16: ['HalfStorage', 2], I64: ['LongStorage', 8], I32: ['IntStorage', 4], U8: ['ByteStorage', 1], BOOL: ['BoolStorage', 1],
};

/** One storage: its dtype and raw little-endian bytes. */
export interface Storage {
  dtype: Dt;
  bytes: Uint8Array;
}

/** One state-dict entry: a view of storage `key` (offset/stride default to contiguous). */
export interface View {
  key: string;
  shape: number[];
  stride?: number[];
  offset?: number;
  parameter?: boolean;
}

export function storageBytes(dtype: Dt, values: readonly number[]): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * STORAGE[dtype][1]);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (dtype === 'F32') dv.setFloat32(4 * i, v, true);
    else if (dtype === 'F64') dv.setFloat64(8 * i, v, true);
    else if (dtype === 'I64') dv.setBigInt64(8 * i, BigInt(v), true);
    else if (dtype === 'I32') dv.setInt32(4 * i, v, true);
    else if (dtype === 'F16') dv.setUint16(2 * i, v, true); // raw half bits
    else out[i] = v;
  });
  return out;
}

const contiguous = (shape: number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
};

const tupleOf = (xs: number[]): number[] =>
  xs.length === 0 ? op.emptyTuple : xs.length === 1 ? [...op.int(xs[0]!), ...op.tuple1] : [...op.mark, ...xs.flatMap(op.int), ...op.tuple];

/**
 * The pickle torch.save writes for an OrderedDict state dict (with `_metadata` set by BUILD), or
 * the legacy format's variant (whose storage ids carry a sixth field, None).
 */
export function stateDictPickle(views: [string, View][], storages: Map<string, Storage>, legacy = false): Uint8Array {
  const b: number[] = [...op.proto(2), ...op.global('collections', 'OrderedDict'), ...op.emptyTuple, ...op.reduce, ...op.mark];
  const hooks = [...op.global('collections', 'OrderedDict'), ...op.emptyTuple, ...op.reduce];
  for (const [name, v] of views) {
    const s = storages.get(v.key);
    const dtype = s?.dtype ?? 'F32';
    const numel = s ? s.bytes.length / STORAGE[dtype][1] : 0;
    const pid = [...op.mark, ...op.str('storage'), ...op.global('torch', STORAGE[dtype][0]), ...op.str(v.key), ...op.str('cpu'), ...op.int(numel), ...(legacy ? op.none : []), ...op.tuple];
    const tensor = [
      ...op.global('torch._utils', '_rebuild_tensor_v2'),
      ...op.mark, ...pid, ...op.binpersid, ...op.int(v.offset ?? 0), ...tupleOf(v.shape), ...tupleOf(v.stride ?? contiguous(v.shape)), ...op.false, ...hooks, ...op.tuple, ...op.reduce,
    ];
    b.push(...op.str(name));
    if (v.parameter) b.push(...op.global('torch._utils', '_rebuild_parameter'), ...op.mark, ...tensor, ...op.true, ...hooks, ...op.tuple, ...op.reduce);
    else b.push(...tensor);
  }
  b.push(...op.setitems, ...op.emptyDict, ...op.str('_metadata'), ...hooks, ...op.setitem, ...op.build, ...op.stop);
  return Uint8Array.from(b);
}

export interface ZipOptions {
  /** Put every size, offset and count only in zip64 fields (the classic ones saturated). */
  saturate?: boolean;
  /** Compression method written into the headers (the data stays stored). */
  method?: number;
}

/** A zip archive of stored entries with torch's zip64 end records. */
export function zipStored(entries: [string, Uint8Array][], o: ZipOptions = {}): Uint8Array {
  const out: number[] = [];
  const central: number[] = [];
  for (const [name, data] of entries) {
    const nb = enc.encode(name);
    const at = out.length;
    const crc = crc32(data);
    out.push(...u32(0x04034b50), ...u16(45), ...u16(0x800), ...u16(o.method ?? 0), ...u16(0), ...u16(0), ...u32(crc), ...u32(data.length), ...u32(data.length), ...u16(nb.length), ...u16(0), ...nb);
    for (const x of data) out.push(x);
    const sat = o.saturate;
    const extra = sat ? [...u16(1), ...u16(24), ...u64(data.length), ...u64(data.length), ...u64(at)] : [];
    central.push(
      ...u32(0x02014b50), ...u16(45), ...u16(45), ...u16(0x800), ...u16(o.method ?? 0), ...u16(0), ...u16(0), ...u32(crc),
      ...u32(sat ? 0xffffffff : data.length), ...u32(sat ? 0xffffffff : data.length), ...u16(nb.length), ...u16(extra.length), ...u16(0),
      ...u16(0), ...u16(0), ...u32(0), ...u32(sat ? 0xffffffff : at), ...nb, ...extra,
    );
  }
  const cdAt = out.length;
  out.push(...central);
  const z64 = out.length;
  const n = entries.length;
  out.push(...u32(0x06064b50), ...u64(44), ...u16(45), ...u16(45), ...u32(0), ...u32(0), ...u64(n), ...u64(n), ...u64(central.length), ...u64(cdAt));
  out.push(...u32(0x07064b50), ...u32(0), ...u64(z64), ...u32(1));
  const s = o.saturate;
  out.push(...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(s ? 0xffff : n), ...u16(s ? 0xffff : n), ...u32(s ? 0xffffffff : central.length), ...u32(s ? 0xffffffff : cdAt), ...u16(0));
  return Uint8Array.from(out);
}

/** A torch.save zip archive under `prefix/` holding the state dict. */
export function ptZip(views: [string, View][], storages: Map<string, Storage>, o: ZipOptions & { prefix?: string; pickle?: Uint8Array; extra?: [string, Uint8Array][] } = {}): Uint8Array {
  const p = `${o.prefix ?? 'archive'}/`;
  const entries: [string, Uint8Array][] = [[`${p}data.pkl`, o.pickle ?? stateDictPickle(views, storages)]];
  for (const [k, s] of storages) entries.push([`${p}data/${k}`, s.bytes]);
  entries.push([`${p}version`, enc.encode('3\n')], ...(o.extra ?? []).map(([n, b]): [string, Uint8Array] => [p + n, b]));
  return zipStored(entries, o);
}

/** The legacy format: magic, protocol, system info, the dict, the key list, then each storage. */
export function ptLegacy(views: [string, View][], storages: Map<string, Storage>, pickle?: Uint8Array): Uint8Array {
  const magic = [...op.proto(2), 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, ...op.stop];
  const proto = [...op.proto(2), ...op.int(1001), ...op.stop];
  const info = [...op.proto(2), ...op.emptyDict, ...op.mark, ...op.str('protocol_version'), ...op.int(1001), ...op.str('little_endian'), ...op.true, ...op.setitems, ...op.stop];
  const keys = [...op.proto(2), ...op.emptyList, ...op.mark, ...[...storages.keys()].flatMap(op.str), ...op.appends, ...op.stop];
  const out: number[] = [...magic, ...proto, ...info, ...(pickle ?? stateDictPickle(views, storages, true)), ...keys];
  for (const s of storages.values()) out.push(...u64(s.bytes.length / STORAGE[s.dtype][1]), ...s.bytes);
  return Uint8Array.from(out);
}

/** A sample of every storage type and of strided, transposed, offset and empty views (the fuzz seeds). */
export const SAMPLE_STORAGES = new Map<string, Storage>([
  ['0', { dtype: 'F32', bytes: storageBytes('F32', [1, 2, 3, 4, 5, 6]) }],
  ['1', { dtype: 'I64', bytes: storageBytes('I64', [7, -3]) }],
  ['2', { dtype: 'F64', bytes: storageBytes('F64', [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]) }],
  ['3', { dtype: 'F16', bytes: storageBytes('F16', [0x3c00, 0xc100, 0x0001]) }], // 1, -2.5, 2^-24
  ['4', { dtype: 'BOOL', bytes: storageBytes('BOOL', [1, 0]) }],
  ['5', { dtype: 'U8', bytes: storageBytes('U8', [200, 3]) }],
  ['6', { dtype: 'I32', bytes: storageBytes('I32', [-5]) }],
]);
export const SAMPLE_VIEWS: [string, View][] = [
  ['conv.weight', { key: '0', shape: [2, 3] }],
  ['transposed', { key: '0', shape: [3, 2], stride: [1, 3] }],
  ['bn.num_batches_tracked', { key: '1', shape: [], offset: 1 }],
  ['param', { key: '2', shape: [2], offset: 3, parameter: true }],
  ['strided', { key: '2', shape: [2, 2], stride: [3, 2], offset: 0 }],
  ['half', { key: '3', shape: [3] }],
  ['mask', { key: '4', shape: [2] }],
  ['bytes', { key: '5', shape: [1, 2] }],
  ['int', { key: '6', shape: [1] }],
  ['empty', { key: '0', shape: [0, 3] }],
];
