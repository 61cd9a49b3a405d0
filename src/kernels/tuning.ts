import { FormatError } from '../errors.js';
import type { AdapterDescription } from '../gpu/runtime.js';

/**
 * Kernel variants chosen by measurement, per adapter (the habit of cubecl's autotune keys): a key is
 * the adapter's identity, the op and a shape bucket; its value is the variant that was fastest there.
 * A launcher asks `tunedVariant` first and falls back to its own rule when the table has nothing,
 * so an empty table (the default) changes nothing. `autotune.ts` fills it by timing every variant
 * the device can run; `exportTuning` / `importTuning` carry it between runs as JSON. Every variant a
 * table may name is a correct kernel for its shapes, so a stale or foreign table can only cost speed:
 * a table made on another adapter is not applied at all.
 */

const keys = new WeakMap<AdapterDescription, string>();

/** The adapter's identity: what would make a different choice fastest (memoised: pickMatmul asks per call). */
export function adapterKey(a: AdapterDescription): string {
  let k = keys.get(a);
  if (k === undefined) {
    k = [a.runtime.split(' ')[0], a.vendor, a.architecture, a.device, a.description].map((s) => s || '-').join('|');
    keys.set(a, k);
  }
  return k;
}

/**
 * Dims rounded up to powers of two (at least 4, at most 4096): shapes within a factor of two share
 * one measurement, as cubecl's anchored keys do.
 */
export function shapeBucket(dims: readonly number[]): string {
  return dims.map((d) => Math.min(4096, Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(d, 1)))))).join('x');
}

/** The ops a table may tune, with the variant names each accepts. */
export const TUNABLE = {
  /** The tile; whether it loads vec4s follows from the operands' alignment, as without a table. */
  matmul: ['tile4', 'subgroup-ra1-nv1', 'subgroup-ra1-nv2', 'subgroup-ra2-nv1', 'subgroup-ra2-nv2'],
  /** Stride-1 3x3 convolutions, bucketed by [N, Cin, H, W, Cout] (conv.ts ConvVariant). */
  conv2d: ['rows-sg8', 'rows-sg4', 'rows', 'generic'],
  /** Their input gradients, bucketed by the same problem on gy: [N, Cout, OH, OW, Cin]. */
  conv2dInput: ['rows-sg8', 'rows-sg4', 'rows', 'generic'],
} as const;
export type TunableOp = keyof typeof TUNABLE;

export interface TuningRecord {
  op: TunableOp;
  bucket: string;
  variant: string;
  /** Median milliseconds of every variant timed, for the record. */
  ms: Record<string, number>;
}

export interface TuningFile {
  format: 'robustlens-tuning';
  version: 1;
  adapter: string;
  records: TuningRecord[];
}

const table = new Map<string, TuningRecord>();
let tableAdapter: string | null = null;

const keyOf = (op: TunableOp, bucket: string): string => `${op}@${bucket}`;

/** The variant measured fastest for `op` on shapes like `dims` on this adapter, if any. */
export function tunedVariant(adapter: AdapterDescription, op: TunableOp, dims: readonly number[]): string | undefined {
  if (tableAdapter === null || tableAdapter !== adapterKey(adapter)) return undefined; // empty table: no work per call
  return table.get(keyOf(op, shapeBucket(dims)))?.variant;
}

/** Record a measurement (autotune.ts); a table holds one adapter's records. */
export function recordTuning(adapter: AdapterDescription, rec: TuningRecord): void {
  const key = adapterKey(adapter);
  if (tableAdapter !== key) {
    table.clear();
    tableAdapter = key;
  }
  table.set(keyOf(rec.op, rec.bucket), rec);
}

export function clearTuning(): void {
  table.clear();
  tableAdapter = null;
}

export function exportTuning(): TuningFile | null {
  if (tableAdapter === null) return null;
  return { format: 'robustlens-tuning', version: 1, adapter: tableAdapter, records: [...table.values()] };
}

/**
 * Load a table written by `exportTuning` (parsed JSON). Anything it does not know is refused with a
 * FormatError: an unknown field, op or variant name, a malformed bucket. A table of another adapter
 * is valid but not applied: the result says so, and the current table stays as it was.
 */
export function importTuning(json: unknown, adapter: AdapterDescription): { applied: boolean; reason?: string } {
  const f = checkTuningFile(json);
  if (f.adapter !== adapterKey(adapter)) return { applied: false, reason: `made on '${f.adapter}', this adapter is '${adapterKey(adapter)}'` };
  clearTuning();
  for (const r of f.records) recordTuning(adapter, r);
  return { applied: true };
}

function checkTuningFile(json: unknown): TuningFile {
  const bad = (what: string): never => {
    throw new FormatError(`importTuning: ${what}; give the object exportTuning() returned`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('not an object');
  const f = json as Record<string, unknown>;
  onlyKeys(f, ['format', 'version', 'adapter', 'records'], 'the file', bad);
  if (f.format !== 'robustlens-tuning' || f.version !== 1) bad(`format ${JSON.stringify(f.format)} version ${JSON.stringify(f.version)} is not robustlens-tuning version 1`);
  if (typeof f.adapter !== 'string') bad('adapter is not a string');
  if (!Array.isArray(f.records)) bad('records is not an array');
  for (const [i, r] of (f.records as unknown[]).entries()) {
    if (typeof r !== 'object' || r === null) bad(`record ${i} is not an object`);
    const rec = r as Record<string, unknown>;
    onlyKeys(rec, ['op', 'bucket', 'variant', 'ms'], `record ${i}`, bad);
    if (typeof rec.op !== 'string' || !(rec.op in TUNABLE)) bad(`record ${i}: unknown op ${JSON.stringify(rec.op)}`);
    const variants: readonly string[] = TUNABLE[rec.op as TunableOp];
    if (typeof rec.variant !== 'string' || !variants.includes(rec.variant)) bad(`record ${i}: unknown ${String(rec.op)} variant ${JSON.stringify(rec.variant)} (known: ${variants.join(', ')})`);
    if (typeof rec.bucket !== 'string' || !/^\d+(x\d+)*$/.test(rec.bucket)) bad(`record ${i}: bucket ${JSON.stringify(rec.bucket)} is not like 256x512x64`);
    const ms = rec.ms;
    if (typeof ms !== 'object' || ms === null || Object.values(ms).some((v) => typeof v !== 'number')) bad(`record ${i}: ms is not a map of numbers`);
  }
  return f as unknown as TuningFile;
}

function onlyKeys(o: Record<string, unknown>, keys: string[], where: string, bad: (w: string) => never): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${where} has an unknown field '${k}'`);
  for (const k of keys) if (!(k in o)) bad(`${where} lacks '${k}'`);
}
