import { FormatError } from '../errors.js';

/**
 * A restricted unpickler: a stack machine for the subset of Python's pickle protocols 2–4 (see
 * CPython's Lib/pickletools.py for the opcodes) that data files use. It builds plain values only:
 * None, bool, int (number, or bigint beyond 2^53), float, str, bytes, tuples, lists and dicts.
 * Everything that could name or run code (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, persistent ids) goes
 * to the caller's `PickleHooks`, which allow a short list of names and refuse the rest; INST, OBJ,
 * NEWOBJ, EXT* and the text-protocol opcodes are refused here. Nothing a file contains ever runs:
 * this machine only moves values between a stack, a memo and the hooks. Every read is bounded by
 * the pickle's end, so truncated or lying bytes are a FormatError naming the opcode and byte.
 */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PyList {
  readonly items: PyValue[] = [];
}

export type DictKey = string | number | bigint | boolean | null;

export class PyDict {
  readonly map = new Map<DictKey, PyValue>();
  /** The class that made it: 'dict' for a literal, else what a REDUCE hook said (e.g. 'collections.OrderedDict'). */
  constructor(readonly cls = 'dict') {}
}

/** A value produced by a hook (an allowlisted global, a storage, a tensor): opaque to the machine. */
export class PyOpaque {
  constructor(readonly what: string) {}
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyTuple | PyList | PyDict | PyOpaque;

/** The caller's policy for everything that names or builds an object. Each either returns or throws via `fail`. */
export interface PickleHooks {
  global(module: string, name: string, at: number): PyValue;
  reduce(callable: PyValue, args: PyTuple, at: number): PyValue;
  build(target: PyValue, state: PyValue, at: number): void;
  persistentLoad(pid: PyValue, at: number): PyValue;
}

/** Where a pickle lies, for errors: `fail` throws a FormatError naming the file and the byte. */
export interface PickleSource {
  bytes: Uint8Array;
  start: number;
  end: number;
  fail(at: number, what: string): never;
}

/** Names of the opcodes that are refused, for messages (the supported ones are in the switch below). */
const REFUSED: Record<number, string> = {
  0x49: 'INT', 0x4c: 'LONG', 0x53: 'STRING', 0x56: 'UNICODE', 0x46: 'FLOAT', 0x6c: 'LIST', 0x64: 'DICT', 0x67: 'GET', 0x70: 'PUT',
  0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x8b: 'LONG4', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x50: 'PERSID',
};

/** Longest module or attribute name a GLOBAL may carry (Python identifiers in real files are far shorter). */
const MAX_NAME = 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A short description of a value for error messages (never recursive: depth is up to the file). */
export function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return `str ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `int/float ${v}`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v instanceof Uint8Array) return `bytes of length ${v.length}`;
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PyList) return `a list of ${v.items.length}`;
  if (v instanceof PyDict) return `a ${v.cls} of ${v.map.size} entries`;
  return v.what;
}

/** Run one pickle from `src.start`; returns the value STOP leaves and the byte after STOP. */
export function unpickle(src: PickleSource, hooks: PickleHooks): { value: PyValue; end: number } {
  const { bytes, end } = src;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  let p = src.start;
  let op = 0;
  let opAt = p;
  const opName = (): string => `opcode 0x${op.toString(16).padStart(2, '0')}`;
  const need = (n: number, what: string): number => {
    if (n < 0 || p + n > end) src.fail(p, `truncated pickle: ${what} of ${opName()} needs ${n} bytes but the pickle ends at byte ${end}`);
    const at = p;
    p += n;
    return at;
  };
  const u8 = (): number => bytes[need(1, 'a 1-byte argument')]!;
  const u16 = (): number => view.getUint16(need(2, 'a 2-byte argument'), true);
  const u32 = (): number => view.getUint32(need(4, 'a 4-byte argument'), true);
  const pop = (): PyValue => {
    if (stack.length === 0) src.fail(opAt, `${opName()} pops an empty stack (malformed pickle)`);
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) src.fail(opAt, `${opName()} needs a value on an empty stack (malformed pickle)`);
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) src.fail(opAt, `${opName()} finds no MARK (malformed pickle)`);
    stack = prev;
    return items;
  };
  const text = (n: number, what: string): string => {
    const at = need(n, what);
    try {
      return utf8.decode(bytes.subarray(at, at + n));
    } catch {
      return src.fail(at, `${what} is not valid UTF-8`);
    }
  };
  const line = (what: string): string => {
    const from = p;
    let q = p;
    while (q < end && q - from <= MAX_NAME && bytes[q] !== 0x0a) q++;
    if (q >= end || bytes[q] !== 0x0a) src.fail(from, `GLOBAL's ${what} has no newline within ${MAX_NAME} bytes of the pickle`);
    const s = text(q - from, `GLOBAL's ${what}`);
    p = q + 1;
    return s;
  };
  const asKey = (k: PyValue): DictKey => {
    if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
    return src.fail(opAt, `dict key is ${describe(k)}; only str, int, float, bool and None keys are supported`);
  };
  const setItem = (d: PyValue, k: PyValue, v: PyValue): void => {
    if (!(d instanceof PyDict)) src.fail(opAt, `SETITEM(S) on ${describe(d)}, not a dict`);
    const key = asKey(k);
    if (d.map.has(key)) src.fail(opAt, `dict key ${JSON.stringify(String(key))} is set twice`);
    d.map.set(key, v);
  };
  const append = (l: PyValue, items: PyValue[]): void => {
    if (!(l instanceof PyList)) src.fail(opAt, `APPEND(S) on ${describe(l)}, not a list`);
    for (const it of items) l.items.push(it);
  };
  const memoPut = (i: number): void => void memo.set(i, top());
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) src.fail(opAt, `memo slot ${i} was never stored (malformed pickle)`);
    return memo.get(i)!;
  };

  for (;;) {
    opAt = p;
    op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) src.fail(opAt, `pickle protocol ${v} is newer than any Python writes (0–5)`);
        break;
      }
      case 0x95: { // FRAME: an 8-byte length; frames only group opcodes, so check it and go on
        const at = need(8, 'the frame length');
        const len = Number(view.getBigUint64(at, true));
        if (len > end - p) src.fail(at, `frame of ${len} bytes runs past the end of the pickle at byte ${end}`);
        break;
      }
      case 0x2e: { // STOP
        const value = pop();
        if (stack.length || marks.length) src.fail(opAt, `STOP leaves ${stack.length} values and ${marks.length} open MARKs behind (malformed pickle)`);
        return { value, end: p };
      }
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(view.getInt32(need(4, 'a 4-byte int'), true)); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { // LONG1: little-endian two's complement of n bytes
        const n = u8();
        const at = need(n, 'the LONG1 bytes');
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
        if (n > 0 && bytes[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8, 'an 8-byte float'), false)); break; // BINFLOAT (big-endian)
      case 0x58: stack.push(text(u32(), 'BINUNICODE text')); break;
      case 0x8c: stack.push(text(u8(), 'SHORT_BINUNICODE text')); break;
      // Python 2 str: read as text (str keys of old state dicts); it must be valid UTF-8.
      case 0x55: stack.push(text(u8(), 'SHORT_BINSTRING text')); break;
      case 0x54: stack.push(text(view.getInt32(need(4, 'a 4-byte length'), true), 'BINSTRING text')); break;
      case 0x42: // BINBYTES
      case 0x43: { // SHORT_BINBYTES
        const n = op === 0x42 ? u32() : u8();
        const at = need(n, 'the bytes');
        stack.push(bytes.slice(at, at + n));
        break;
      }
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: { // TUPLE (popMark replaces `stack`, so take the items first)
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        const n = op - 0x84;
        if (stack.length < n) src.fail(opAt, `TUPLE${n} needs ${n} values but the stack holds ${stack.length}`);
        stack.push(new PyTuple(stack.splice(stack.length - n, n)));
        break;
      }
      case 0x5d: stack.push(new PyList()); break; // EMPTY_LIST
      case 0x61: { // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) src.fail(opAt, `SETITEMS with an odd number (${items.length}) of keys and values`);
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
        break;
      }
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line('module');
        stack.push(hooks.global(module, line('name'), opAt));
        break;
      }
      case 0x93: { // STACK_GLOBAL: module and name as two strings on the stack
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') src.fail(opAt, `STACK_GLOBAL needs two strings, got ${describe(module)} and ${describe(name)}`);
        stack.push(hooks.global(module, name, opAt));
        break;
      }
      case 0x52: { // REDUCE: callable(*args)
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple)) src.fail(opAt, `REDUCE arguments are ${describe(args)}, not a tuple`);
        stack.push(hooks.reduce(fn, args, opAt));
        break;
      }
      case 0x62: { // BUILD: set the state of the object below
        const state = pop();
        hooks.build(top(), state, opAt);
        break;
      }
      case 0x51: stack.push(hooks.persistentLoad(pop(), opAt)); break; // BINPERSID
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x71: memoPut(u8()); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      default: {
        const name = REFUSED[op];
        src.fail(opAt, name
          ? `pickle opcode ${name} (0x${op.toString(16)}) is not allowed in a weights file (it builds objects or uses a text protocol); nothing was run`
          : `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} (not a pickle, or a damaged one)`);
      }
    }
  }
}

/** A FormatError-raising `fail` for a pickle inside `file` (offsets are the file's). */
export function pickleFailer(format: string, file: string, where: string): (at: number, what: string) => never {
  return (at, what) => {
    throw new FormatError(`${format} ${file}: ${where}: ${what} (at byte ${at})`);
  };
}
