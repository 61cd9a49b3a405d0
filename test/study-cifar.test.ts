// The study on CIFAR-10 (`robustlens study --data cifar10 --data-dir DIR`) at a tiny size, on
// generated binary batches: every stage runs on 3×32×32 images and models built for them, and the
// report's images are 32×32. A missing --data-dir is a clear error before any training.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { studyConfig } from '../src/study/config.js';
import { FINDINGS } from '../src/study/findings/index.js';
import { runStudy } from '../src/study/index.js';
import { captureConsole } from './helpers/capture.js';
import { cifarDir } from './helpers/data-files.js';
import { TINY_SIZES } from './helpers/study-sizes.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-study-cifar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Smaller than study.test.ts's: 3×32×32 images cost more per example. */
const tiny = {
  ...TINY_SIZES, trainSize: 64, testSize: 64, batchSize: 32, deepTrainSize: 32, epochEvalSize: 16, evalSteps: 1, evalSize: 16,
  ckaSize: 32, ckaBatch: 16, randomLabelSize: 16, randomLabelEpochs: 1, probeSize: 16,
  roTrainSize: 32, roEpochs: 1, roValSize: 16, roGapSize: 16, aaSize: 4, aaSteps: 1, aaQueries: 2,
};

describe('robustlens study --data cifar10', () => {
  it('runs every stage on 3×32×32 images and reports 32×32 figures', async () => {
    const data = cifarDir(join(dir, 'cifar-10-batches-bin'), [], { train: 16, test: 64 });
    const cfg = studyConfig({ quick: true, seeds: 1, data: 'cifar10', dataDir: data, outDir: join(dir, 'out'), sizes: tiny });
    const out = await runStudy(cfg, () => {});
    const results = JSON.parse(readFileSync(out.resultsPath, 'utf8'));
    expect(results.config.eps).toBeCloseTo(8 / 255, 12);
    expect(Object.keys(results.verdicts).length).toBe(FINDINGS.length);
    const seed = results.seeds[0];
    expect(seed.logits.images[0].pixels.length).toBe(32 * 32);
    expect([seed.logits.images[0].h, seed.logits.images[0].w]).toEqual([32, 32]);
    const pref = seed.simplicity.models['cnn-standard'].preferred;
    expect([pref.h, pref.images[0].length]).toEqual([32, 32 * 32]);
    expect(readFileSync(out.reportPath, 'utf8')).toContain(`CIFAR-10 (binary batches in ${data})`);
  }, 600_000);

  it('the study command without --data-dir fails (exit 1) saying what it needs', async () => {
    const { err } = captureConsole();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = join(dir, 'no-dir');
    expect(await main(['study', '--data', 'cifar10', '--out', out, '--quiet'])).toBe(1);
    expect(err.join('\n')).toMatch(/cifar10 needs the directory of the binary batches \(--data-dir DIR/);
    expect(existsSync(join(out, 'checkpoints'))).toBe(false);
  });
});
