import { ByteReader } from './bytes.js';

/**
 * A reader for the zip archives that torch.save writes (PKWARE APPNOTE 6.3: local headers, the
 * central directory, the end-of-central-directory record and its zip64 variant). It reads only what
 * such archives hold: stored (uncompressed), unencrypted entries on one disk. Every size, offset and
 * count is checked against the real length, the zip64 record must agree with the classic one, the
 * local header must repeat the central directory's name, entries may not overlap, and each entry's
 * CRC-32 is verified, so a truncated, damaged or lying archive is a FormatError naming the entry.
 */
export interface ZipEntry {
  name: string;
  /** Where the entry's bytes start in the archive, and how many there are. */
  offset: number;
  size: number;
}

export const ZIP_LOCAL_MAGIC = 0x04034b50; // "PK\x03\x04"
const CENTRAL_MAGIC = 0x02014b50;
const EOCD_MAGIC = 0x06054b50;
const ZIP64_EOCD_MAGIC = 0x06064b50;
const ZIP64_LOCATOR_MAGIC = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const SAT16 = 0xffff;
const SAT32 = 0xffffffff;

/** True when the bytes start like a zip archive (a local file header). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** The entries of a zip archive by name, in central-directory order. */
export function readZip(bytes: Uint8Array, file = '<zip>'): Map<string, ZipEntry> {
  const r: ByteReader = new ByteReader(bytes, file, 'zip');
  const eocd = findEocd(r);
  const dir = directoryBounds(r, eocd);
  const entries = new Map<string, ZipEntry>();
  const spans: { name: string; start: number; end: number }[] = [];
  let at = dir.offset;
  for (let i = 0; i < dir.count; i++) {
    if (r.u32le(at, `central directory entry ${i}`) !== CENTRAL_MAGIC) r.fail(at, `central directory entry ${i} has no "PK\\x01\\x02" signature (the directory lies about its entry count or offset)`);
    r.need(at, 46, `central directory entry ${i}`);
    const flags = r.u16le(at + 8, 'flags');
    const method = r.u16le(at + 10, 'compression method');
    const crc = r.u32le(at + 16, 'CRC-32');
    let compressed = r.u32le(at + 20, 'compressed size');
    let size = r.u32le(at + 24, 'uncompressed size');
    const nameLen = r.u16le(at + 28, 'name length');
    const extraLen = r.u16le(at + 30, 'extra field length');
    const commentLen = r.u16le(at + 32, 'comment length');
    let disk = r.u16le(at + 34, 'disk number');
    let local = r.u32le(at + 42, 'local header offset');
    r.need(at + 46, nameLen + extraLen + commentLen, `the name, extra field and comment of central directory entry ${i}`);
    const name = decodeName(bytes.subarray(at + 46, at + 46 + nameLen), flags);
    const what = `entry "${name}"`;
    // zip64: saturated fields are replaced, in order, by 8-byte values in the 0x0001 extra field.
    if (size === SAT32 || compressed === SAT32 || local === SAT32 || disk === SAT16) {
      const z = zip64Extra(r, at + 46 + nameLen, extraLen, what);
      const take = (v: number, field: string): number => {
        if (v !== SAT32) return v;
        if (z.next + 8 > z.end) r.fail(z.next, `${what}: its ${field} is 0xFFFFFFFF but the zip64 extra field has no value for it`);
        const got = r.u64le(z.next, `the zip64 ${field} of ${what}`);
        z.next += 8;
        return got;
      };
      size = take(size, 'uncompressed size');
      compressed = take(compressed, 'compressed size');
      local = take(local, 'local header offset');
      if (disk === SAT16) {
        if (z.next + 4 > z.end) r.fail(z.next, `${what}: its disk number is 0xFFFF but the zip64 extra field has no value for it`);
        disk = r.u32le(z.next, `the zip64 disk number of ${what}`);
      }
    }
    if (disk !== 0) r.fail(at + 34, `${what} starts on disk ${disk}; multi-disk archives are not supported`);
    if (flags & 1) r.fail(at + 8, `${what} is encrypted`);
    if (method !== 0) r.fail(at + 10, `${what} is compressed (method ${method}${method === 8 ? ', deflate' : ''}); torch.save writes stored entries: re-save the file with torch.save instead of re-zipping it`);
    if (compressed !== size) r.fail(at + 20, `${what} is stored but its compressed size ${compressed} differs from its size ${size}`);
    if (entries.has(name)) r.fail(at, `two entries are named "${name}"`);
    const data = localData(r, local, name, what);
    if (data + size > dir.offset) r.fail(data, `${what}: its ${size} bytes run past the start of the central directory at byte ${dir.offset} (truncated or lying size)`);
    if (crc32(bytes, data, data + size) !== crc) r.fail(data, `${what}: CRC-32 mismatch (the stored data is damaged)`);
    entries.set(name, { name, offset: data, size });
    spans.push({ name, start: local, end: data + size });
    at += 46 + nameLen + extraLen + commentLen;
  }
  if (at !== dir.offset + dir.size) r.fail(at, `the central directory's ${dir.count} entries end at byte ${at}, but its size says ${dir.offset + dir.size}`);
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]!.start < spans[i - 1]!.end) r.fail(spans[i]!.start, `entry "${spans[i]!.name}" overlaps entry "${spans[i - 1]!.name}"`);
  }
  return entries;
}

/** The bytes of an entry (a view into the archive, not a copy). */
export function entryBytes(bytes: Uint8Array, e: ZipEntry): Uint8Array {
  return bytes.subarray(e.offset, e.offset + e.size);
}

interface Eocd {
  at: number;
  count: number;
  size: number;
  offset: number;
  /** Where the central directory must end: the zip64 record when there is one, else the EOCD. */
  dirEnd: number;
}

/** The end-of-central-directory record (searched backwards over a possible comment), zip64 applied. */
function findEocd(r: ByteReader): Eocd {
  const n = r.length;
  if (n < EOCD_SIZE) r.fail(0, `truncated: ${n} bytes cannot hold the 22-byte end-of-central-directory record`);
  let at = -1;
  for (let p = n - EOCD_SIZE; p >= Math.max(0, n - EOCD_SIZE - MAX_COMMENT); p--) {
    if (r.view.getUint32(p, true) === EOCD_MAGIC && p + EOCD_SIZE + r.view.getUint16(p + 20, true) === n) {
      at = p;
      break;
    }
  }
  if (at < 0) r.fail(n, 'no end-of-central-directory record ("PK\\x05\\x06") at the end of the file (truncated archive?)');
  const diskNo = r.u16le(at + 4, 'disk number');
  const dirDisk = r.u16le(at + 6, 'central directory disk');
  const onDisk = r.u16le(at + 8, 'entries on this disk');
  const count16 = r.u16le(at + 10, 'entry count');
  const size32 = r.u32le(at + 12, 'central directory size');
  const offset32 = r.u32le(at + 16, 'central directory offset');
  const saturated = count16 === SAT16 || onDisk === SAT16 || size32 === SAT32 || offset32 === SAT32 || diskNo === SAT16 || dirDisk === SAT16;
  const loc = at - 20;
  const hasLocator = loc >= 0 && r.view.getUint32(loc, true) === ZIP64_LOCATOR_MAGIC;
  if (!hasLocator) {
    if (saturated) r.fail(at, 'the end-of-central-directory record defers to a zip64 record, but there is no zip64 locator before it');
    if (diskNo !== 0 || dirDisk !== 0 || onDisk !== count16) r.fail(at + 4, 'multi-disk archives are not supported');
    return { at, count: count16, size: size32, offset: offset32, dirEnd: at };
  }
  if (r.u32le(loc + 4, 'zip64 locator disk') !== 0 || r.u32le(loc + 16, 'zip64 disk count') > 1) r.fail(loc, 'multi-disk zip64 archives are not supported');
  const z = r.u64le(loc + 8, 'zip64 record offset');
  if (z + 56 > loc) r.fail(loc + 8, `the zip64 locator points to byte ${z}, where no 56-byte zip64 record fits before the locator at byte ${loc}`);
  if (r.u32le(z, 'zip64 record signature') !== ZIP64_EOCD_MAGIC) r.fail(z, 'the zip64 locator points to bytes that are not a zip64 end-of-central-directory record ("PK\\x06\\x06")');
  const recSize = r.u64le(z + 4, 'zip64 record size');
  if (recSize < 44 || z + 12 + recSize !== loc) r.fail(z + 4, `the zip64 record says it is ${recSize + 12} bytes long, but the locator follows it at byte ${loc}`);
  if (r.u32le(z + 16, 'zip64 disk number') !== 0 || r.u32le(z + 20, 'zip64 directory disk') !== 0) r.fail(z + 16, 'multi-disk zip64 archives are not supported');
  const onDisk64 = r.u64le(z + 24, 'zip64 entries on this disk');
  const count = r.u64le(z + 32, 'zip64 entry count');
  const size = r.u64le(z + 40, 'zip64 central directory size');
  const offset = r.u64le(z + 48, 'zip64 central directory offset');
  if (onDisk64 !== count) r.fail(z + 24, `the zip64 record counts ${onDisk64} entries on this disk but ${count} in all`);
  // Where the classic record holds a real value (not the 0xFFFF… placeholder), both must agree.
  const agree = (classic: number, sat: number, z64: number, field: string, pos: number): void => {
    if (classic !== sat && classic !== z64) r.fail(pos, `zip64 record and end-of-central-directory record disagree on the ${field}: ${z64} vs ${classic}`);
  };
  agree(count16, SAT16, count, 'entry count', at + 10);
  agree(onDisk, SAT16, onDisk64, 'entries on this disk', at + 8);
  agree(size32, SAT32, size, 'central directory size', at + 12);
  agree(offset32, SAT32, offset, 'central directory offset', at + 16);
  return { at, count, size, offset, dirEnd: z };
}

function directoryBounds(r: ByteReader, e: Eocd): { offset: number; size: number; count: number } {
  if (e.offset + e.size !== e.dirEnd) {
    r.fail(e.at, `the central directory (${e.size} bytes at byte ${e.offset}) should end at byte ${e.dirEnd}, where the end records start (truncated, or lying offsets)`);
  }
  // Each central entry takes at least 46 bytes: a count beyond that is a lie, refused before the loop.
  if (e.count * 46 > e.size) r.fail(e.at, `${e.count} entries cannot fit in a ${e.size}-byte central directory`);
  return { offset: e.offset, size: e.size, count: e.count };
}

/** The bounds of the zip64 extended-information field (tag 0x0001) inside an extra field. */
function zip64Extra(r: ByteReader, start: number, len: number, what: string): { next: number; end: number } {
  let p = start;
  while (p + 4 <= start + len) {
    const tag = r.u16le(p, 'extra field tag');
    const size = r.u16le(p + 2, 'extra field size');
    if (p + 4 + size > start + len) break;
    if (tag === 0x0001) return { next: p + 4, end: p + 4 + size };
    p += 4 + size;
  }
  r.fail(start, `${what} has 0xFFFFFFFF sizes or offset but no zip64 extra field`);
}

/** Check the local header at `at` and return where the entry's data starts. */
function localData(r: ByteReader, at: number, name: string, what: string): number {
  if (r.u32le(at, `the local header of ${what}`) !== ZIP_LOCAL_MAGIC) r.fail(at, `${what}: no local header ("PK\\x03\\x04") at its offset ${at}`);
  r.need(at, 30, `the local header of ${what}`);
  const nameLen = r.u16le(at + 26, 'local name length');
  const extraLen = r.u16le(at + 28, 'local extra length');
  r.need(at + 30, nameLen + extraLen, `the local name and extra field of ${what}`);
  const local = decodeName(r.bytes.subarray(at + 30, at + 30 + nameLen), r.u16le(at + 6, 'local flags'));
  if (local !== name) r.fail(at + 30, `${what}: its local header names it "${local}"`);
  return at + 30 + nameLen + extraLen;
}

function decodeName(raw: Uint8Array, flags: number): string {
  // Bit 11: UTF-8 names; otherwise IBM437, whose ASCII range (all torch.save writes) matches latin1.
  return new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(raw);
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) of bytes [a, b). */
export function crc32(bytes: Uint8Array, a = 0, b = bytes.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = 0xffffffff;
  for (let i = a; i < b; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
