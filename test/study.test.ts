// The study end to end at a tiny size: every stage runs, results.json and a self-contained
// report.html are written, every finding gets a verdict, and --resume redoes nothing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { studyConfig } from '../src/study/config.js';
import { FINDINGS } from '../src/study/findings/index.js';
import { runStudy } from '../src/study/index.js';
import { TINY_SIZES as tiny } from './helpers/study-sizes.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-study-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('robustlens study', () => {
  it('runs every stage, writes the report and results, and resumes without redoing work', async () => {
    const logs: string[] = [];
    // One seed, and not seed 0: a part of a job array (--seed-list 3) names its stages and results by its own seed.
    const cfg = studyConfig({ quick: true, outDir: dir, sizes: tiny, seedList: [3] });
    const out = await runStudy(cfg, (m) => logs.push(m));
    expect(existsSync(out.reportPath)).toBe(true);
    const results = JSON.parse(readFileSync(out.resultsPath, 'utf8'));
    expect(results.schema).toBe(2);
    expect(results.seeds.map((s: { seed: number }) => s.seed)).toEqual([3]);
    expect(existsSync(join(dir, 'stages', 'train-cnn-standard-s3.json'))).toBe(true);
    // Every experiment the findings rest on was run: none is "not measured".
    expect(results.findings.filter((f: { missing?: string }) => f.missing).map((f: { id: string }) => f.id)).toEqual([]);
    // The time of every stage is recorded (and stated in the report).
    expect(Object.keys(results.stageTimes).length).toBe(22);
    expect(Object.keys(results.verdicts)).toEqual(FINDINGS.map((f) => f.id));
    // One seed gives no interval: every finding is inconclusive, whatever its numbers.
    for (const f of results.findings) {
      expect(f.verdict).toBe('inconclusive');
      expect(f.ci).toEqual([null, null]);
      for (const k of ['id', 'claim', 'statistic', 'estimate', 'delta', 'deltaReason', 'n', 'unit', 'interval', 'control', 'settings']) expect(f).toHaveProperty(k);
    }
    // The random-label settings are stated in the verdict's "rests on" (issue 16: Adam and ε/2 were not).
    expect(results.findings.find((f: { id: string }) => f.id === 'c1').settings).toMatch(/ε = 0\.1 \(the study's ε is 0\.2\).*Adam lr 0\.001, no weight decay/);
    expect(results.floors.length).toBeGreaterThan(0);
    const html = readFileSync(out.reportPath, 'utf8');
    // The report leads with results: the verdict table comes before the findings; the settings fold away at the end.
    expect(html.indexOf('<table class="verdicts">')).toBeLessThan(html.indexOf('<section class="finding"'));
    expect(html.indexOf('<details><summary>show</summary>')).toBeGreaterThan(html.lastIndexOf('<section class="finding"'));
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained: no script, no network
    expect(html).toContain('<svg');
    expect(logs.some((l) => /progress \d+%/.test(l))).toBe(true);
    // methods.md §5.1: each layer's first-PC variance share, reported beside the CKA heatmaps.
    const s0 = results.seeds[0];
    // AutoAttack beside PGD, with the masking checks, for each standard and robust model.
    for (const n of ['cnn-standard', 'cnn-pgd-at', 'cnn-trades', 'deep-standard', 'deep-pgd-at']) {
      expect(typeof s0.eval[n].autoAttack).toBe('number');
      expect(s0.autoAttack[n].masking.map((c: { name: string }) => c.name)).toContain('accuracy-falls-with-eps');
    }
    // The robust-overfitting runs choose their best epoch on training images held out from them and measure the gap on test images.
    for (const n of ['ro-pgd-at', 'ro-pgd-at-te']) {
      const ro = s0.robustOverfitting[n];
      expect(ro.validation.source).toBe('train');
      expect(ro.validation.indices[0]).toBe(tiny.roTrainSize);
      expect(ro.gap.indices.length).toBe(tiny.roGapSize);
    }
    expect(s0.trained['ro-pgd-at-te'].settings.recipe.te).toBeTruthy();
    expect(s0.distill.map((r: { teacher: string }) => r.teacher)).toContain('hard-labels');
    const pc = s0.cka.within['deep-standard'].firstPcRows as number[];
    expect(pc.length).toBe(results.seeds[0].cka.within['deep-standard'].rows.length);
    for (const v of pc) expect(v > 0 && v <= 1 + 1e-6).toBe(true);
    expect(html).toContain('first-PC variance share');
    // The report states the time per stage, and AutoAttack with the masking checks beside PGD.
    expect(html).toContain('Time per stage');
    expect(html).toMatch(/train-cnn-pgd-at<\/[^>]+>\s*<[^>]+>[\d.]+ s per seed/);
    expect(html).toContain('gradient-masking checks');

    const again: string[] = [];
    const resumed = await runStudy({ ...cfg, resume: true }, (m) => again.push(m));
    expect(again.filter((l) => /: running$/.test(l))).toEqual([]);
    expect(again.filter((l) => /finished in an earlier run/.test(l)).length).toBe(22);
    // The resumed report still accounts for the compute the first run did.
    const first = results.stageSeconds as number;
    expect(first).toBeGreaterThan(0);
    const second = JSON.parse(readFileSync(resumed.resultsPath, 'utf8'));
    expect(second.stageSeconds).toBeCloseTo(first, 6);
    expect(second.resumedSeconds).toBeCloseTo(first, 6);
    expect(readFileSync(resumed.reportPath, 'utf8')).toMatch(/of them in earlier runs \(--resume\)/);
  }, 600_000);
});
