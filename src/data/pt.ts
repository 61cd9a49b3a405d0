import { FormatError } from '../errors.js';
import { product } from './bytes.js';
import { PyDict, PyList, describe, unpickle, type PyValue } from './pickle.js';
import { ITEM_SIZE, StorageRef, TensorRef, torchHooks, type TorchHooks } from './pt-unpickle.js';
import { decodeTensorData, type StData, type StTensor } from './safetensors.js';
import { entryBytes, isZip, readZip, type ZipEntry } from './zip.js';

/**
 * PyTorch state dicts as torch.save writes them (torch/serialization.py), read without running
 * anything the file contains (see pt-unpickle.ts for what the pickle may name):
 *
 * - the zip format (PyTorch >= 1.6, the default): a zip archive of stored entries under one
 *   directory `<name>/`: `data.pkl` (the pickled dict), `data/<key>` (each storage's raw bytes,
 *   little-endian), `version`, and in newer releases `byteorder`, `.data/version` and others;
 * - the legacy format (`_use_new_zipfile_serialization=False`, and files from PyTorch < 1.6): five
 *   pickles in a row (magic number, protocol version 1001, system info, the dict, the list of storage
 *   keys), then each storage as an 8-byte element count and its raw bytes, in the order of that list.
 *
 * Each tensor is a strided view of a storage; views are checked against their storage and copied
 * out contiguous, so non-contiguous (e.g. transposed) tensors load as their row-major values.
 * The output has the safetensors parser's shape: name → { dtype, shape, data }.
 */
export type PtFormat = 'zip' | 'legacy';

export interface PtFile {
  format: PtFormat;
  tensors: Map<string, StTensor>;
}

/** The magic number of the legacy format: its first pickle is this integer (torch/serialization.py). */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** Archive format versions PyTorch's reader accepts (caffe2/serialize/versions.h). */
const MAX_ZIP_VERSION = 10;

/** True when the bytes start like a torch.save file (zip archive or legacy pickle). */
export function isPt(bytes: Uint8Array): boolean {
  return isZip(bytes) || isLegacyPt(bytes);
}

/** The legacy format starts with PROTO 2 and the 10-byte LONG1 magic number. */
function isLegacyPt(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a && bytes[3] === 0x0a;
}

export function parsePt(bytes: Uint8Array, file = '<pt>'): PtFile {
  if (isZip(bytes)) return { format: 'zip', tensors: parseZipPt(bytes, file) };
  if (isLegacyPt(bytes)) return { format: 'legacy', tensors: parseLegacyPt(bytes, file) };
  if (bytes.length >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    throw new FormatError(`PyTorch ${file}: a tar archive (the format of PyTorch before 0.4) is not supported; load it with an old PyTorch and re-save it with torch.save`);
  }
  throw new FormatError(`PyTorch ${file}: neither a zip archive ("PK\\x03\\x04") nor a legacy torch.save pickle (at byte 0)`);
}

function parseZipPt(bytes: Uint8Array, file: string): Map<string, StTensor> {
  const entries = readZip(bytes, file);
  const first = entries.keys().next().value;
  const slash = first === undefined ? -1 : first.indexOf('/');
  if (slash <= 0) throw new FormatError(`PyTorch ${file}: the zip archive's first entry ${JSON.stringify(first ?? '')} is not under a directory, as torch.save writes it`);
  const prefix = first!.slice(0, slash + 1);
  for (const name of entries.keys()) {
    if (!name.startsWith(prefix)) throw new FormatError(`PyTorch ${file}: entry "${name}" lies outside the archive's directory "${prefix}"; not a torch.save archive`);
  }
  const get = (name: string): ZipEntry | undefined => entries.get(prefix + name);
  if (get('constants.pkl') || get('code/__torch__.py')) {
    throw new FormatError(`PyTorch ${file}: a TorchScript archive (torch.jit.save); save the weights with torch.save(model.state_dict(), path) instead`);
  }
  const text = (name: string): string | null => {
    const e = get(name);
    return e ? new TextDecoder('latin1').decode(entryBytes(bytes, e)).trim() : null;
  };
  const order = text('byteorder');
  if (order !== null && order !== 'little') throw new FormatError(`PyTorch ${file}: entry "${prefix}byteorder" says "${order.slice(0, 20)}"; only little-endian files are supported (re-save on a little-endian machine)`);
  const version = text('version') ?? text('.data/version');
  if (version === null) throw new FormatError(`PyTorch ${file}: no "${prefix}version" entry; not a torch.save archive`);
  if (!/^\d{1,3}$/.test(version) || +version < 1 || +version > MAX_ZIP_VERSION) {
    throw new FormatError(`PyTorch ${file}: archive format version "${version.slice(0, 20)}" is not one PyTorch writes (1–${MAX_ZIP_VERSION})`);
  }
  const pkl = get('data.pkl');
  if (!pkl) throw new FormatError(`PyTorch ${file}: no "${prefix}data.pkl" entry; not a torch.save archive`);
  const where = `pickle ${prefix}data.pkl`;
  const fail: Fail = failer(file, where);
  const hooks = torchHooks(fail, false);
  const { value, end } = unpickle({ bytes, start: pkl.offset, end: pkl.offset + pkl.size, fail }, hooks);
  if (end !== pkl.offset + pkl.size) fail(end, `${pkl.offset + pkl.size - end} bytes follow the pickle's STOP`);
  const data = new Map<StorageRef, StData>();
  for (const s of hooks.storages.values()) {
    const e = get(`data/${s.key}`);
    if (!e) throw new FormatError(`PyTorch ${file}: ${where} names storage "${s.key}" but the archive has no entry "${prefix}data/${s.key}"`);
    const want = s.numel * ITEM_SIZE[s.dtype];
    if (e.size !== want) throw new FormatError(`PyTorch ${file}: entry "${e.name}" holds ${e.size} bytes, but storage "${s.key}" is ${s.numel} ${s.dtype} elements = ${want} bytes (at byte ${e.offset})`);
    data.set(s, decodeTensorData(bytes, e.offset, e.offset + e.size, s.dtype));
  }
  return tensorsOf(value, data, bytes.length, file, where);
}

function parseLegacyPt(bytes: Uint8Array, file: string): Map<string, StTensor> {
  let at = 0;
  const next = (what: string, legacy = false): { value: PyValue; hooks: TorchHooks; fail: Fail } => {
    const fail: Fail = failer(file, `legacy format, ${what}`);
    const hooks = torchHooks(fail, legacy);
    const r = unpickle({ bytes, start: at, end: bytes.length, fail }, hooks);
    at = r.end;
    return { value: r.value, hooks, fail };
  };
  const magic = next('magic number');
  if (magic.value !== LEGACY_MAGIC) magic.fail(0, `the first pickle is ${describe(magic.value)}, not PyTorch's magic number`);
  const proto = next('protocol version');
  if (proto.value !== LEGACY_PROTOCOL) proto.fail(at, `protocol version ${describe(proto.value)} is not ${LEGACY_PROTOCOL}`);
  const info = next('system info');
  if (!(info.value instanceof PyDict) || info.value.map.get('little_endian') !== true) {
    info.fail(at, 'the system info does not say little_endian=True; only files saved on little-endian machines are supported');
  }
  const where = `legacy format, main pickle`;
  const main = next('main pickle', true);
  const keys = next('storage key list');
  const list = keys.value;
  if (!(list instanceof PyList)) return keys.fail(at, `the storage key list is ${describe(list)}`);
  const data = new Map<StorageRef, StData>();
  const fail: Fail = failer(file, 'legacy format, storage data');
  for (const k of list.items) {
    const s = typeof k === 'string' ? main.hooks.storages.get(k) : undefined;
    if (!s) fail(at, `the key list names ${describe(k)}, which the main pickle does not use`);
    if (data.has(s)) fail(at, `storage "${s.key}" is listed twice`);
    if (at + 8 > bytes.length) fail(at, `truncated: the element count of storage "${s.key}" is missing`);
    const count = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigInt64(0, true);
    if (count !== BigInt(s.numel)) fail(at, `storage "${s.key}" holds ${count} elements here but ${s.numel} in the pickle`);
    const n = s.numel * ITEM_SIZE[s.dtype];
    if (at + 8 + n > bytes.length) fail(at + 8, `truncated: storage "${s.key}" needs ${n} bytes but ${bytes.length - at - 8} remain`);
    data.set(s, decodeTensorData(bytes, at + 8, at + 8 + n, s.dtype));
    at += 8 + n;
  }
  for (const s of main.hooks.storages.values()) if (!data.has(s)) fail(at, `storage "${s.key}" is used but has no data`);
  if (at !== bytes.length) fail(at, `${bytes.length - at} unexpected bytes after the last storage`);
  return tensorsOf(main.value, data, bytes.length, file, where);
}

type Fail = (at: number, what: string) => never;

function failer(file: string, where: string): Fail {
  return (at, what) => {
    throw new FormatError(`PyTorch ${file}: ${where}: ${what} (at byte ${at})`);
  };
}

/**
 * The dict of tensors the pickle built, each copied out of its storage in row-major order. The
 * decoded elements may not outnumber the file's bytes: shared or expanded (stride-0) views could
 * otherwise blow a small file up into a huge allocation.
 */
function tensorsOf(root: PyValue, data: Map<StorageRef, StData>, fileBytes: number, file: string, where: string): Map<string, StTensor> {
  if (!(root instanceof PyDict)) {
    throw new FormatError(`PyTorch ${file}: ${where}: the file holds ${describe(root)}, not a dict of tensors; save model.state_dict()`);
  }
  let total = 0;
  for (const [k, v] of root.map) {
    if (typeof k !== 'string') throw new FormatError(`PyTorch ${file}: ${where}: a key is ${describe(k)}, not a tensor name`);
    if (!(v instanceof TensorRef)) {
      throw new FormatError(`PyTorch ${file}: ${where}: entry "${k}" is ${describe(v)}, not a tensor; save only the tensors, e.g. torch.save(checkpoint["state_dict"], path)`);
    }
    total += product(v.shape);
  }
  if (total > fileBytes) throw new FormatError(`PyTorch ${file}: ${where}: the tensors hold ${total} elements in all, more than the file's ${fileBytes} bytes (expanded or repeated views?); save contiguous copies (t.clone())`);
  const out = new Map<string, StTensor>();
  for (const [k, v] of root.map) {
    const t = v as TensorRef;
    out.set(k as string, { dtype: t.storage.dtype, shape: t.shape, data: gather(data.get(t.storage)!, t) });
  }
  return out;
}

/** The view's elements in row-major order (a plain copy when the view is contiguous). */
function gather(src: StData, t: TensorRef): StData {
  const n = product(t.shape);
  const rank = t.shape.length;
  let contiguous = true;
  for (let i = rank - 1, s = 1; i >= 0; s *= t.shape[i]!, i--) if (t.shape[i]! !== 1 && t.stride[i] !== s) contiguous = false;
  if (contiguous) return src.slice(t.offset, t.offset + n);
  const out = new (src.constructor as new (n: number) => StData)(n);
  const idx = new Array<number>(rank).fill(0);
  let at = t.offset;
  for (let j = 0; j < n; j++) {
    (out as unknown as { [i: number]: number | bigint })[j] = src[at]!;
    // Odometer over the index, last axis fastest.
    for (let a = rank - 1; a >= 0; a--) {
      at += t.stride[a]!;
      if (++idx[a]! < t.shape[a]!) break;
      at -= t.stride[a]! * t.shape[a]!;
      idx[a] = 0;
    }
  }
  return out;
}
