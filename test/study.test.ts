// The study end to end at a tiny size: every stage runs, results.json and a self-contained
// report.html are written, every finding gets a verdict, and --resume redoes nothing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { studyConfig } from '../src/study/config.js';
import { runStudy } from '../src/study/index.js';
import { TINY_SIZES as tiny } from './helpers/study-sizes.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-study-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('robustlens study', () => {
  it('runs every stage, writes the report and results, and resumes without redoing work', async () => {
    const logs: string[] = [];
    const cfg = studyConfig({ quick: true, outDir: dir, sizes: tiny });
    const out = await runStudy(cfg, (m) => logs.push(m));
    expect(existsSync(out.reportPath)).toBe(true);
    const results = JSON.parse(readFileSync(out.resultsPath, 'utf8'));
    expect(Object.keys(results.verdicts).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'c1', 'c2', 'c3', 'd1', 'd2', 'd3', 'models']);
    for (const v of Object.values(results.verdicts) as string[][]) expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(v[0]);
    const html = readFileSync(out.reportPath, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained: no script, no network
    expect(html).toContain('<svg');
    expect(logs.some((l) => /progress \d+%/.test(l))).toBe(true);
    // methods.md §5.1: each layer's first-PC variance share, reported beside the CKA heatmaps.
    const pc = results.seeds[0].cka.within['deep-standard'].firstPcRows as number[];
    expect(pc.length).toBe(results.seeds[0].cka.within['deep-standard'].rows.length);
    for (const v of pc) expect(v > 0 && v <= 1 + 1e-6).toBe(true);
    expect(html).toContain('first-PC variance share');

    const again: string[] = [];
    const resumed = await runStudy({ ...cfg, resume: true }, (m) => again.push(m));
    expect(again.filter((l) => /: running$/.test(l))).toEqual([]);
    expect(again.filter((l) => /finished in an earlier run/.test(l)).length).toBe(12);
    // The resumed report still accounts for the compute the first run did.
    const first = results.stageSeconds as number;
    expect(first).toBeGreaterThan(0);
    const second = JSON.parse(readFileSync(resumed.resultsPath, 'utf8'));
    expect(second.stageSeconds).toBeCloseTo(first, 6);
    expect(second.resumedSeconds).toBeCloseTo(first, 6);
    expect(readFileSync(resumed.reportPath, 'utf8')).toMatch(/of them in earlier runs \(--resume\)/);
  }, 600_000);
});
