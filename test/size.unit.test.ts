// The size budget (scripts/check-size.mjs): no file under src/, test/, bench/ or scripts/ has more
// than 400 lines, generated files aside.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineCount, oversized, sizeProblems } from '../scripts/check-size.mjs';

const root = resolve(__dirname, '..');

describe('the size budget', () => {
  it('holds for src/, test/, bench/ and scripts/ (files being split on other branches aside)', () => {
    expect(sizeProblems({ root }).problems).toEqual([]);
  });

  it('counts lines as wc -l does, plus a last line without a newline', () => {
    expect([lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\nb'), lineCount('\n\n')]).toEqual([0, 1, 1, 2, 2]);
  });

  describe('on a made-up tree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-size-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const lines = (n: number): string => 'x\n'.repeat(n);
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    mkdirSync(join(dir, 'test'));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'src', 'deep', 'big.ts'), lines(401));
    writeFileSync(join(dir, 'src', 'fits.ts'), lines(400));
    writeFileSync(join(dir, 'src', 'shaders.generated.ts'), lines(5000));
    writeFileSync(join(dir, 'test', 'long.test.ts'), lines(450) + 'no newline at the end');
    writeFileSync(join(dir, 'test', 'blob.bin'), Buffer.concat([Buffer.from([0]), Buffer.from(lines(900))]));
    writeFileSync(join(dir, 'docs', 'long.md'), lines(900));

    it('names each file over the budget with its line count, largest first', () => {
      expect(oversized({ root: dir })).toEqual([{ file: 'test/long.test.ts', lines: 451 }, { file: 'src/deep/big.ts', lines: 401 }]);
      expect(sizeProblems({ root: dir, pending: [] }).problems).toEqual([
        'test/long.test.ts: 451 lines, over the budget of 400; split it by purpose',
        'src/deep/big.ts: 401 lines, over the budget of 400; split it by purpose',
      ]);
    });

    it('passes over a pending file, and fails once it fits so that the entry is deleted', () => {
      const r = sizeProblems({ root: dir, pending: ['test/long.test.ts', 'src/fits.ts'] });
      expect(r.pending).toEqual([{ file: 'test/long.test.ts', lines: 451 }]);
      expect(r.problems).toEqual([
        'src/deep/big.ts: 401 lines, over the budget of 400; split it by purpose',
        'src/fits.ts: listed in PENDING of scripts/check-size.mjs but within the budget now; delete the entry',
      ]);
    });
  });
});
