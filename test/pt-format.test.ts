// The PyTorch .pt/.pth reader on hand-made files (test/helpers/pt-files.ts; test/pt-torch.test.ts
// checks that torch.load reads them too): zip and legacy formats, every dtype, strided views, zip64;
// malicious pickles (os.system, builtins.eval, STACK_GLOBAL, INST/OBJ/NEWOBJ/EXT) refused; lying
// archives, storages and views refused; and fuzzing in the style of formats.test.ts: every case
// parses or raises a FormatError, and the decoded elements never outnumber the input bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../src/errors.js';
import { parseCheckpoint } from '../src/data/checkpoint.js';
import { parsePt } from '../src/data/pt.js';
import { serializeSafetensors } from '../src/data/safetensors.js';
import { parseTensorFile } from '../src/data/tensor-file.js';
import { crc32, readZip } from '../src/data/zip.js';
import { fuzzParser, mutations } from './helpers/parser-fuzz.js';
import { SAMPLE_STORAGES, SAMPLE_VIEWS, op, ptLegacy, ptZip, stateDictPickle, storageBytes, zipStored, type View } from './helpers/pt-files.js';

const STORAGES = SAMPLE_STORAGES;
const VIEWS = SAMPLE_VIEWS;
const WANT: Record<string, [string, number[], (number | bigint)[]]> = {
  'conv.weight': ['F32', [2, 3], [1, 2, 3, 4, 5, 6]],
  transposed: ['F32', [3, 2], [1, 4, 2, 5, 3, 6]],
  'bn.num_batches_tracked': ['I64', [], [-3n]],
  param: ['F64', [2], [3.5, 4.5]],
  strided: ['F64', [2, 2], [0.5, 2.5, 3.5, 5.5]],
  half: ['F16', [3], [1, -2.5, 2 ** -24]],
  mask: ['BOOL', [2], [1, 0]],
  bytes: ['U8', [1, 2], [200, 3]],
  int: ['I32', [1], [-5]],
  empty: ['F32', [0, 3], []],
};
const ZIP = ptZip(VIEWS, STORAGES);
const LEGACY = ptLegacy(VIEWS, STORAGES);

function expectWanted(tensors: Map<string, { dtype: string; shape: number[]; data: ArrayLike<number | bigint> }>): void {
  expect([...tensors.keys()]).toEqual(VIEWS.map(([n]) => n));
  for (const [name, [dtype, shape, values]] of Object.entries(WANT)) {
    const t = tensors.get(name)!;
    expect([name, t.dtype, t.shape, Array.from(t.data)]).toEqual([name, dtype, shape, values]);
  }
}

/** Expect a FormatError whose message matches. */
const refuses = (fn: () => unknown, msg: RegExp): void => {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a FormatError').toBeInstanceOf(FormatError);
  expect((err as Error).message).toMatch(msg);
};

/** A zip .pt whose data.pkl is the given pickle (CRC valid) and whose storages are the usual ones. */
const withPickle = (pickle: number[] | Uint8Array, storages = STORAGES): Uint8Array => ptZip([], storages, { pickle: Uint8Array.from(pickle) });

describe('.pt: reading', () => {
  it('reads the zip format: every dtype, strided, transposed, offset and empty views, parameters', () => {
    const r = parsePt(ZIP, 'a.pt');
    expect(r.format).toBe('zip');
    expectWanted(r.tensors);
  });

  it('reads the legacy format (_use_new_zipfile_serialization=False) to the same tensors', () => {
    const r = parsePt(LEGACY, 'old.pt');
    expect(r.format).toBe('legacy');
    expectWanted(r.tensors);
  });

  it('reads zip64-only archives (classic fields saturated) and any directory name', () => {
    expectWanted(parsePt(ptZip(VIEWS, STORAGES, { saturate: true, prefix: 'resnet_ckpt' })).tensors);
  });

  it('checkpoint loading dispatches on content: .pt (zip or legacy) and safetensors', () => {
    expect(parseTensorFile(ZIP).format).toBe('pt-zip');
    expect(parseTensorFile(LEGACY).format).toBe('pt-legacy');
    const st = serializeSafetensors([['w', { dtype: 'F32', shape: [1], data: [2] }]]);
    expect(parseTensorFile(st).format).toBe('safetensors');
    const ck = parseCheckpoint(ZIP, 'm.pt');
    expect(ck.model.get('conv.weight')!.shape).toEqual([2, 3]);
    expect(ck.optimizer.size).toBe(0);
    expect(ck.metadata).toEqual({});
  });

  it('ignores records it does not need (byteorder "little", .data/serialization_id)', () => {
    const extra: [string, Uint8Array][] = [['byteorder', new TextEncoder().encode('little')], ['.data/serialization_id', new TextEncoder().encode('123')]];
    expectWanted(parsePt(ptZip(VIEWS, STORAGES, { extra })).tensors);
  });
});

describe('.pt: malicious pickles are refused, nothing runs', () => {
  const noRun = /not allowed|Nothing in the file was run|nothing was run/;
  it('a posix.system or builtins.eval REDUCE', () => {
    const system = [...op.proto(), ...op.global('posix', 'system'), ...op.str('touch /tmp/pwned'), ...op.tuple1, ...op.reduce, ...op.stop];
    refuses(() => parsePt(withPickle(system), 'evil.pt'), /PyTorch evil\.pt: pickle archive\/data\.pkl: the pickle names the global posix\.system, which is not allowed.*Nothing in the file was run \(at byte \d+\)/);
    const evalCall = [...op.proto(), ...op.global('builtins', 'eval'), ...op.str('1+1'), ...op.tuple1, ...op.reduce, ...op.stop];
    refuses(() => parsePt(withPickle(evalCall)), /global builtins\.eval, which is not allowed/);
    refuses(() => parsePt(ptLegacy([], new Map(), Uint8Array.from(system))), /legacy format, main pickle: the pickle names the global posix\.system/);
  });

  it('an os.system STACK_GLOBAL (protocol 4), and a __reduce__ hidden inside a state dict', () => {
    const sg = [...op.proto(4), ...op.str('os'), ...op.str('system'), ...op.stackGlobal, ...op.str('id'), ...op.tuple1, ...op.reduce, ...op.stop];
    refuses(() => parsePt(withPickle(sg)), /global os\.system, which is not allowed/);
    const inner = [...op.proto(), ...op.emptyDict, ...op.str('w'), ...op.global('subprocess', 'Popen'), ...op.str('ls'), ...op.tuple1, ...op.reduce, ...op.setitem, ...op.stop];
    refuses(() => parsePt(withPickle(inner)), /subprocess\.Popen/);
  });

  it('INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1/2/4, PERSID and unknown opcodes', () => {
    const cases: [number[], RegExp][] = [
      [[0x69, ...new TextEncoder().encode('os\nsystem\n')], /opcode INST \(0x69\) is not allowed/],
      [[...op.mark, 0x6f], /opcode OBJ/],
      [[...op.global('collections', 'OrderedDict'), ...op.emptyTuple, 0x81], /opcode NEWOBJ \(0x81\)/],
      [[0x92], /NEWOBJ_EX/],
      [[0x82, 1], /EXT1/], [[0x83, 1, 0], /EXT2/], [[0x84, 1, 0, 0, 0], /EXT4/],
      [[0x50, ...new TextEncoder().encode('0\n')], /PERSID/],
      [[0xff], /unknown pickle opcode 0xff/],
    ];
    for (const [body, msg] of cases) refuses(() => parsePt(withPickle([...op.proto(), ...body, ...op.stop])), msg);
  });

  it('REDUCE of anything but the rebuild functions and OrderedDict; BUILD on anything but an OrderedDict', () => {
    const storageCall = [...op.proto(), ...op.global('torch', 'FloatStorage'), ...op.emptyTuple, ...op.reduce, ...op.stop];
    refuses(() => parsePt(withPickle(storageCall)), /REDUCE calls the storage type torch\.FloatStorage/);
    const odArgs = [...op.proto(), ...op.global('collections', 'OrderedDict'), ...op.str('x'), ...op.tuple1, ...op.reduce, ...op.stop];
    refuses(() => parsePt(withPickle(odArgs)), /OrderedDict is called with 1 arguments/);
    const buildDict = [...op.proto(), ...op.emptyDict, ...op.emptyDict, ...op.build, ...op.stop];
    refuses(() => parsePt(withPickle(buildDict)), /BUILD sets the state of a dict/);
    const buildStr = [...op.proto(), ...op.global('collections', 'OrderedDict'), ...op.emptyTuple, ...op.reduce, ...op.str('x'), ...op.build, ...op.stop];
    refuses(() => parsePt(withPickle(buildStr)), /BUILD sets the state of a collections\.OrderedDict of 0 entries to str "x"/);
    const notStorage = [...op.proto(), ...op.mark, ...op.str('module'), ...op.str('x'), ...op.tuple, ...op.binpersid, ...op.stop];
    refuses(() => parsePt(withPickle(notStorage)), /persistent id is a tuple starting with str "module", not a storage/);
  });

  it('tensors with backward hooks or metadata, and files that hold more than tensors', () => {
    // A one-tensor dict whose _rebuild_tensor_v2 gets `hooks` as its sixth argument (and `extra` after it).
    const tensorWith = (hooks: number[], extra: number[] = []): number[] => [
      ...op.proto(), ...op.emptyDict, ...op.str('w'), ...op.global('torch._utils', '_rebuild_tensor_v2'), ...op.mark,
      ...op.mark, ...op.str('storage'), ...op.global('torch', 'FloatStorage'), ...op.str('0'), ...op.str('cpu'), ...op.int(6), ...op.tuple, ...op.binpersid,
      ...op.int(0), ...op.int(6), ...op.tuple1, ...op.int(1), ...op.tuple1, ...op.false, ...hooks, ...extra, ...op.tuple, ...op.reduce, ...op.setitem, ...op.stop,
    ];
    const od = [...op.global('collections', 'OrderedDict'), ...op.emptyTuple, ...op.reduce];
    expect(Array.from(parsePt(withPickle(tensorWith(od))).tensors.get('w')!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parsePt(withPickle(tensorWith(od, op.none))).tensors.get('w')!.shape).toEqual([6]);
    refuses(() => parsePt(withPickle(tensorWith([...od, ...op.int(1), ...op.int(2), ...op.setitem]))), /tensor carries backward hooks \(a collections\.OrderedDict of 1 entries\)/);
    refuses(() => parsePt(withPickle(tensorWith(od, [...op.emptyDict, ...op.str('conj'), ...op.true, ...op.setitem]))), /tensor carries metadata a dict of 1 entries/);
    refuses(() => parsePt(withPickle(tensorWith(op.none))), /backward hooks \(None\)/);
    const notTensor = [...op.proto(), ...op.emptyDict, ...op.str('epoch'), ...op.int(3), ...op.setitem, ...op.stop];
    refuses(() => parsePt(withPickle(notTensor), 'ck.pt'), /entry "epoch" is int\/float 3, not a tensor; save only the tensors/);
    refuses(() => parsePt(withPickle([...op.proto(), ...op.emptyList, ...op.stop])), /holds a list of 0, not a dict of tensors/);
  });
});

describe('.pt: lying files are refused with the file, entry and byte', () => {
  it('storage keys that do not exist, wrong storage sizes, views outside their storage', () => {
    const seven = stateDictPickle([['w', { key: '7', shape: [1] }]], new Map([['7', STORAGES.get('0')!]]));
    refuses(() => parsePt(ptZip([], STORAGES, { pickle: seven })), /names storage "7" but the archive has no entry "archive\/data\/7"/);
    const short = new Map(STORAGES).set('0', { dtype: 'F32', bytes: storageBytes('F32', [1, 2, 3, 4, 5]) });
    refuses(() => parsePt(ptZip([], short, { pickle: stateDictPickle([['w', { key: '0', shape: [6] }]], STORAGES) })), /entry "archive\/data\/0" holds 20 bytes, but storage "0" is 6 F32 elements = 24 bytes/);
    const outside: [View, RegExp][] = [
      [{ key: '0', shape: [7] }, /size \[7\], stride \[1\] at offset 0 reaches element 6 of storage "0" \(6 F32 elements\)/],
      [{ key: '0', shape: [2], offset: 5 }, /reaches element 6/],
      [{ key: '0', shape: [3, 3], stride: [1, 3] }, /reaches element 8/], // a transposed view of a 3×3 that is not there
      [{ key: '0', shape: [2], stride: [1, 1, 1] }, /size \[2\] and stride \[1, 1, 1\] differ in length/],
    ];
    for (const [v, msg] of outside) refuses(() => parsePt(ptZip([['w', v]], STORAGES)), msg);
    refuses(() => parsePt(ptLegacy([['w', { key: '0', shape: [9] }]], STORAGES)), /legacy format, main pickle: .*reaches element 8/);
  });

  it('expanded (stride-0) views that would decode to more elements than the file has bytes', () => {
    refuses(() => parsePt(ptZip([['w', { key: '0', shape: [1_000_000, 1000], stride: [0, 0] }]], STORAGES), 'bomb.pt'), /tensors hold 1000000000 elements in all, more than the file's \d+ bytes/);
  });

  it('compressed, encrypted or multi-disk entries, damaged data (CRC), overlapping and duplicate entries', () => {
    refuses(() => parsePt(ptZip(VIEWS, STORAGES, { method: 8 }), 'z.pt'), /zip z\.pt: entry "archive\/data\.pkl" is compressed \(method 8, deflate\); torch\.save writes stored entries/);
    const flipped = ZIP.slice();
    const dataAt = readZip(ZIP).get('archive/data/0')!.offset;
    flipped[dataAt + 1]! ^= 0x10;
    refuses(() => parsePt(flipped, 'crc.pt'), /entry "archive\/data\/0": CRC-32 mismatch.*at byte \d+/);
    const dup = zipStored([['a/version', new Uint8Array([51])], ['a/version', new Uint8Array([51])]]);
    refuses(() => readZip(dup), /two entries are named "a\/version"/);
    const enc = ZIP.slice();
    const cd = findCentral(enc);
    enc[cd + 8] = enc[cd + 8]! | 1;
    refuses(() => readZip(enc), /is encrypted/);
    const disk = ZIP.slice();
    disk[cd + 34] = 1;
    refuses(() => readZip(disk), /entry "archive\/data\.pkl" starts on disk 1; multi-disk archives are not supported/);
    // Point the second central entry's local header offset at the first entry's: its name differs.
    const ov = ZIP.slice();
    const second = cd + 46 + centralNameLen(ov, cd);
    new DataView(ov.buffer).setUint32(second + 42, 0, true);
    refuses(() => readZip(ov), /entry "archive\/data\/0": its local header names it "archive\/data\.pkl"/);
    // Grow the first entry (CRC recomputed) until it runs into the second one's local header.
    const two = zipStored([['a/x', new Uint8Array([1, 2, 3])], ['a/y', new Uint8Array([4])]]);
    const c0 = findCentral(two);
    const dv = new DataView(two.buffer);
    const start = 30 + 3;
    dv.setUint32(c0 + 20, 10, true);
    dv.setUint32(c0 + 24, 10, true);
    dv.setUint32(c0 + 16, crc32(two, start, start + 10), true);
    refuses(() => readZip(two, 'o.zip'), /zip o\.zip: entry "a\/y" overlaps entry "a\/x"/);
  });

  it('zip64 lies: counts, directory offset and locator that disagree with the archive', () => {
    const z64At = (b: Uint8Array): number => b.length - 22 - 20 - 56;
    const mutate = (saturate: boolean, ...edits: [(b: Uint8Array) => number, number][]): Uint8Array => {
      const b = ptZip(VIEWS, STORAGES, { saturate });
      for (const [at, value] of edits) new DataView(b.buffer).setUint32(at(b), value, true);
      return b;
    };
    refuses(() => readZip(mutate(false, [(b) => z64At(b) + 32, 5])), /zip64 record counts 9 entries on this disk but 5 in all/);
    refuses(() => readZip(mutate(false, [(b) => z64At(b) + 24, 5], [(b) => z64At(b) + 32, 5])), /disagree on the entry count: 5 vs 9/);
    refuses(() => readZip(mutate(true, [(b) => z64At(b) + 24, 99])), /counts 99 entries on this disk but 9/);
    refuses(() => readZip(mutate(true, [(b) => z64At(b) + 48, 7])), /central directory \(\d+ bytes at byte 7\) should end at byte/);
    refuses(() => readZip(mutate(false, [(b) => z64At(b) + 40, 100])), /disagree on the central directory size: 100 vs/);
    refuses(() => readZip(mutate(true, [(b) => b.length - 22 - 20 + 8, 1 << 30])), /zip64 locator points to byte 1073741824/);
    refuses(() => readZip(mutate(true, [(b) => z64At(b) + 24, 0x7fffffff], [(b) => z64At(b) + 32, 0x7fffffff])), /2147483647 entries cannot fit in a \d+-byte central directory/);
    refuses(() => readZip(mutate(true, [(b) => z64At(b) + 24, 8], [(b) => z64At(b) + 32, 8])), /8 entries end at byte \d+, but its size says/);
    const noLocator = ptZip(VIEWS, STORAGES, { saturate: true });
    noLocator[noLocator.length - 22 - 20] = 0;
    refuses(() => readZip(noLocator), /defers to a zip64 record, but there is no zip64 locator/);
    // A central entry with 0xFFFFFFFF sizes but no zip64 extra field.
    const b = ptZip(VIEWS, STORAGES);
    new DataView(b.buffer).setUint32(findCentral(b) + 24, 0xffffffff, true);
    refuses(() => readZip(b), /0xFFFFFFFF sizes or offset but no zip64 extra field/);
  });

  it('not a torch.save archive: no directory, no data.pkl, TorchScript, big-endian, unknown version, tar', () => {
    const v = new TextEncoder().encode('3\n');
    refuses(() => parsePt(zipStored([['data.pkl', new Uint8Array([0x2e])]]), 'flat.zip'), /first entry "data\.pkl" is not under a directory/);
    refuses(() => parsePt(zipStored([['a/version', v]])), /no "a\/data\.pkl" entry/);
    refuses(() => parsePt(zipStored([['a/data.pkl', new Uint8Array([0x2e])], ['b/x', v]])), /entry "b\/x" lies outside the archive's directory "a\/"/);
    refuses(() => parsePt(ptZip(VIEWS, STORAGES, { extra: [['constants.pkl', v]] })), /TorchScript archive \(torch\.jit\.save\)/);
    refuses(() => parsePt(ptZip(VIEWS, STORAGES, { extra: [['byteorder', new TextEncoder().encode('big')]] })), /says "big"; only little-endian/);
    refuses(() => parsePt(zipStored([['a/data.pkl', new Uint8Array([0x2e])], ['a/version', new TextEncoder().encode('99\n')]])), /archive format version "99"/);
    const tar = new Uint8Array(600);
    tar.set(new TextEncoder().encode('ustar'), 257);
    refuses(() => parsePt(tar, 'old.tar'), /tar archive \(the format of PyTorch before 0\.4\)/);
    refuses(() => parsePt(new Uint8Array([1, 2, 3]), 'x'), /neither a zip archive .* nor a legacy torch\.save pickle/);
  });

  it('legacy format lies: magic, protocol, byte order, key list, element counts, trailing bytes', () => {
    const bad = (edit: (b: Uint8Array) => void): Uint8Array => {
      const b = LEGACY.slice();
      edit(b);
      return b;
    };
    refuses(() => parsePt(bad((b) => (b[4] = b[4]! ^ 1)), 'l.pt'), /legacy format, magic number: the first pickle is int\/float \d+, not PyTorch's magic number/);
    refuses(() => parsePt(bad((b) => (b[18] = 0xea))), /protocol version int\/float 1002 is not 1001/);
    const big = LEGACY.slice();
    const i = findBytes(big, [0x88]); // NEWTRUE of little_endian
    big[i] = 0x89;
    refuses(() => parsePt(big), /does not say little_endian=True/);
    refuses(() => parsePt(new Uint8Array([...LEGACY, 0])), /1 unexpected bytes after the last storage/);
    refuses(() => parsePt(LEGACY.slice(0, LEGACY.length - 1)), /truncated: storage "6" needs 4 bytes but 3 remain/);
    const counts = LEGACY.slice();
    const last = LEGACY.length - 4 - 8;
    counts[last] = 2;
    refuses(() => parsePt(counts), /storage "6" holds 2 elements here but 1 in the pickle/);
  });

  it('every truncation of a small archive and of a legacy file is a FormatError naming the file', () => {
    const small = ptZip([['w', { key: '0', shape: [6] }]], new Map([['0', STORAGES.get('0')!]]));
    for (let n = 0; n < small.length; n++) refuses(() => parsePt(small.slice(0, n), 't.pt'), /^(PyTorch|zip) t\.pt: .*byte \d+/);
    const old = ptLegacy([['w', { key: '0', shape: [6] }]], new Map([['0', STORAGES.get('0')!]]));
    for (let n = 4; n < old.length; n++) refuses(() => parsePt(old.slice(0, n), 'o.pt'), /^PyTorch o\.pt: legacy format.*at byte \d+/);
  });
});

function findBytes(b: Uint8Array, pat: number[]): number {
  for (let i = 0; i + pat.length <= b.length; i++) if (pat.every((x, j) => b[i + j] === x)) return i;
  throw new Error('pattern not found');
}
const findCentral = (b: Uint8Array): number => findBytes(b, [0x50, 0x4b, 0x01, 0x02]);
const centralNameLen = (b: Uint8Array, at: number): number => new DataView(b.buffer).getUint16(at + 28, true) + new DataView(b.buffer).getUint16(at + 30, true);

// ---------- property-based fuzzing ----------

/** The decoded element count of a parse (the fuzz bound: never more than the input's bytes). */
const elements = (bytes: Uint8Array): number => [...parsePt(bytes, 'fuzz').tensors.values()].reduce((n, t) => n + t.data.length, 0);

const RUNS = 1500;
const PICKLE = stateDictPickle(VIEWS, STORAGES);
/** Pickle-level mutations, re-archived so that the CRC holds and the unpickler itself is exercised. */
const pickleMutations = mutations(PICKLE).map((p) => withPickle(p));
/** Random opcode streams from the supported and refused alphabet, with small arguments. */
const opcodeStreams = fc
  .array(fc.oneof(
    fc.constantFrom(op.mark, op.tuple, op.tuple1, op.tuple2, op.tuple3, op.emptyTuple, op.emptyDict, op.emptyList, op.setitem, op.setitems, op.appends, op.reduce, op.build, op.binpersid, op.none, op.true, op.false, op.stackGlobal, [0x61], [0x94]),
    fc.constantFrom(op.global('collections', 'OrderedDict'), op.global('torch._utils', '_rebuild_tensor_v2'), op.global('torch._utils', '_rebuild_parameter'), op.global('torch', 'FloatStorage'), op.global('torch', 'LongStorage')),
    fc.string({ maxLength: 6 }).map(op.str),
    fc.integer({ min: 0, max: 70000 }).map(op.int),
    fc.nat(8).map(op.binput), fc.nat(8).map(op.binget),
  ), { maxLength: 60 })
  .map((ops) => withPickle([...op.proto(), ...ops.flat(), ...op.stop]));

describe('.pt fuzz (fast-check)', () => {
  const targets: [string, fc.Arbitrary<Uint8Array>][] = [
    ['zip archive bytes', mutations(ZIP)],
    ['zip64-only archive bytes', mutations(ptZip(VIEWS, STORAGES, { saturate: true }))],
    ['legacy file bytes', mutations(LEGACY)],
    ['pickle bytes (re-archived)', pickleMutations],
    ['random opcode streams', opcodeStreams],
  ];
  for (const [name, arb] of targets) {
    it(`${name}: parse or raise FormatError, output bounded by input`, () => {
      fuzzParser(`.pt ${name}`, arb, elements, RUNS, 20261202);
    });
  }
});
