// `robustlens study merge DIR… --out DIR` through the CLI dispatcher: results of separate runs in, one
// judged results.json and report.html out, no GPU work; every way a part can be wrong is one line and
// exit 1, a wrong command line exit 2.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { RESULTS_SCHEMA, type StudyResultsFile } from '../src/study/results.js';
import { captureConsole as capture } from './helpers/capture.js';
import { synthetic } from './helpers/study-synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

function part(name: string, seeds: number, firstSeed: number): string {
  const input = synthetic({ seeds, firstSeed });
  const r: StudyResultsFile = { ...input, schema: RESULTS_SCHEMA, dataName: 'MNIST digits', adapter: null, seconds: 10, stageSeconds: 9, resumedSeconds: 0 };
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'results.json'), JSON.stringify(r));
  return join(dir, name);
}

describe('robustlens study merge', () => {
  it('merges the parts, judges all their seeds and writes results.json and report.html', async () => {
    const { out } = capture();
    const merged = join(dir, 'merged');
    expect(await main(['study', 'merge', part('a', 2, 0), part('b', 1, 2), '--out', merged])).toBe(0);
    expect(JSON.parse(out.join('\n')).seeds).toEqual([0, 1, 2]);
    const results = JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8'));
    expect(results.findings.find((f: { id: string }) => f.id === 'a1').n).toBe(3);
    expect(readFileSync(join(merged, 'report.html'), 'utf8')).toContain('3 seeds (0, 1, 2) on MNIST digits');
  });

  it('says in one line what is wrong with a part, and exits 1', async () => {
    const cases: [string[], RegExp][] = [
      [[join(dir, 'nowhere')], /^robustlens study: study merge: \S*\/nowhere does not exist; give directories written by 'robustlens study --out DIR'$/],
      [[part('c', 1, 0), part('d', 1, 0)], /seed 0 is in both .*c\/results\.json and .*d\/results\.json/],
    ];
    mkdirSync(join(dir, 'bad'), { recursive: true });
    writeFileSync(join(dir, 'bad', 'results.json'), '{ not json');
    cases.push([[join(dir, 'bad')], /bad\/results\.json is not JSON/]);
    mkdirSync(join(dir, 'nested', 'results.json'), { recursive: true });
    cases.push([[join(dir, 'nested')], /nested\/results\.json is a directory without results\.json/]);
    for (const [args, message] of cases) {
      const { err } = capture();
      expect(await main(['study', 'merge', ...args, '--out', join(dir, 'never')])).toBe(1);
      expect(err).toEqual([expect.stringMatching(message)]);
      vi.restoreAllMocks();
    }
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('treats a missing directory list or an unknown word as a wrong command line (exit 2)', async () => {
    const { err } = capture();
    expect(await main(['study', 'merge'])).toBe(2);
    expect(await main(['study', 'mrege', 'x'])).toBe(2);
    expect(err.join('\n')).toMatch(/study merge needs at least one results directory[\s\S]*study takes no argument 'mrege'; did you mean 'study merge DIR…'\?/);
  });
});
