// The parser fuzzing property shared by formats.test.ts and pt-format.test.ts: on every generated
// input the parser returns or throws a FormatError (nothing else), and what it decodes never
// outnumbers the input bytes (no allocation a lying header could blow up).
import fc from 'fast-check';
import { expect } from 'vitest';
import { FormatError } from '../../src/errors.js';

/** Run `parse` (returning the number of decoded values) on `runs` inputs; returns how many parsed and how many were refused. */
export function fuzzParser(name: string, arb: fc.Arbitrary<Uint8Array>, parse: (b: Uint8Array) => number, runs: number, seed: number): { ok: number; error: number } {
  const c = { ok: 0, error: 0 };
  fc.assert(
    fc.property(arb, (bytes) => {
      let decoded: number;
      try {
        decoded = parse(bytes);
      } catch (e) {
        if (e instanceof FormatError) {
          c.error++;
          return;
        }
        throw new Error(`expected a FormatError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
      c.ok++;
      expect(decoded).toBeLessThanOrEqual(bytes.length);
    }),
    { numRuns: runs, seed },
  );
  expect(c.ok + c.error).toBe(runs);
  expect(c.error).toBeGreaterThan(0);
  console.log(`fuzz ${name}: ${runs} cases (${c.ok} parsed, ${c.error} FormatError, 0 crashes)`);
  return c;
}

/**
 * The structural mutations a lying or damaged file shows: random bytes, a truncation, one to four
 * bytes overwritten (often header sizes, dtypes, offsets), a header-region byte set to 0xff (huge
 * lengths) plus trailing garbage, and a few bytes inserted (everything after shifts).
 */
export function mutations(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = valid.length;
  return fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.nat(n).map((k) => valid.slice(0, k)),
    fc.array(fc.tuple(fc.nat(n - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
      const b = valid.slice();
      for (const [i, v] of edits) b[i] = v;
      return b;
    }),
    fc.tuple(fc.nat(Math.min(n - 1, 40)), fc.uint8Array({ maxLength: 16 })).map(([i, tail]) => {
      const b = new Uint8Array(n + tail.length);
      b.set(valid);
      b.set(tail, n);
      b[i] = 0xff;
      return b;
    }),
    fc.tuple(fc.nat(n - 1), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, ins]) => new Uint8Array([...valid.subarray(0, i), ...ins, ...valid.subarray(i)])),
  );
}
