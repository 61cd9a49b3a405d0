// The analysis commands in-process: `robustlens similarity` on the methods.md §1.8 vectors written
// as .npy files, and bad files rejected with exit code 1 (wrong command lines: cli-args.unit.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { captureConsole } from './helpers/capture.js';
import { serializeNpy } from '../src/data/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const N = 12;
const X = Array.from({ length: N }, (_, i) => Array.from({ length: 4 }, (_, j) => Math.sin(0.5 * i + 1.3 * j) + 0.05 * i * j));
const Y = Array.from({ length: N }, (_, i) => Array.from({ length: 3 }, (_, k) => Math.cos(0.9 * i - 0.4 * k) + 0.3 * X[i]![k % 4]!));

function npy(name: string, rows: number[][], dtype: 'float32' | 'float64' = 'float64'): string {
  const path = join(dir, name);
  writeFileSync(path, serializeNpy(rows.flat(), rows.length, rows[0]!.length, dtype));
  return path;
}

describe('robustlens similarity', () => {
  it('reproduces the §1.8 reference values from .npy files', async () => {
    const { out } = captureConsole();
    expect(await main(['similarity', npy('x.npy', X), npy('y.npy', Y), '--batch', '4'])).toBe(0);
    const r = JSON.parse(out.join('\n'));
    expect(r.linear).toBeCloseTo(0.11116066401267746, 5);
    expect(r.debiased).toBeCloseTo(-0.027268838867027027, 5);
    expect(r.rbf['0.5'].biased).toBeCloseTo(0.5270415666195124, 4);
    expect(r.rbf['1.0'].debiased).toBeCloseTo(0.06329850968843188, 4);
    expect(r.minibatch.value).toBeCloseTo(0.9598433934377512, 4);
  });

  it('row counts that differ, a bad magic and a missing file fail with exit code 1', async () => {
    const { err } = captureConsole();
    expect(await main(['similarity', npy('x2.npy', X), npy('y5.npy', Y.slice(0, 5))])).toBe(1);
    expect(err.join('\n')).toMatch(/12 rows .* 5/);
    const bad = join(dir, 'bad.npy');
    writeFileSync(bad, 'not a numpy file at all');
    expect(await main(['similarity', bad, npy('y3.npy', Y)])).toBe(1);
    expect(err.join('\n')).toMatch(/magic/i);
  });
});
