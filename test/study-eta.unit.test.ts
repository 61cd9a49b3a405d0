// The study's progress estimate (issue 17 §4) on recorded stage timings, GPU-free: stage weights from
// each stage's work (src/study/work.ts), calibrated by the throughput of the stages done so far
// (src/study/eta.ts). After the first 10% of the work, the finish time it predicts is within 25% of
// the run's actual one at every later stage. The recording is the stage times of a real run on an idle
// machine; runs on a shared machine whose load changes several-fold within minutes cannot be predicted
// by any throughput (a quick study on 2026-12-02 at load 11–19 ran one stage at a third of the speed of
// the stages before it).
import { describe, expect, it } from 'vitest';
import { studyConfig } from '../src/study/config.js';
import { Eta } from '../src/study/eta.js';
import { seedWork, studyWork } from '../src/study/work.js';

describe('the study\'s progress estimate', () => {
  // The training stages of the default run measured on an idle machine on 2026-11-23 (commit cbf90c6:
  // 16.6 minutes in all; the deep CNN then trained 3 epochs on 1,536 images), whose specs are unchanged.
  const IDLE_DEFAULT: [string, number][] = [
    ['train-cnn-standard', 31], ['train-cnn-pgd-at', 128], ['train-cnn-trades', 156], ['train-deep-standard', 25],
    ['train-deep-pgd-at', 48], ['train-rl-pgd-at', 119], ['train-rl-trades', 125],
  ];
  const idleWork = (): Record<string, number> => {
    const all = seedWork(studyConfig({ seedList: [0], sizes: { deepEpochs: 3, deepTrainSize: 1536 } }), [1, 28]);
    return Object.fromEntries(IDLE_DEFAULT.map(([n]) => [n, all[n]!]));
  };

  it('gives work proportional to the measured time of the recorded default run\'s training stages (within ±15%)', () => {
    const work = idleWork();
    const rates = IDLE_DEFAULT.map(([n, s]) => work[n]! / s);
    const mid = rates.reduce((a, b) => a + b, 0) / rates.length;
    for (const r of rates) expect(Math.abs(r / mid - 1)).toBeLessThan(0.15);
  });

  it('predicts the finish of those stages within 25% after the first 10% of their work', () => {
    const eta = new Eta(idleWork());
    const total = IDLE_DEFAULT.reduce((a, [, s]) => a + s, 0);
    let elapsed = 0;
    let checked = 0;
    for (const [name, seconds] of IDLE_DEFAULT) {
      elapsed += seconds;
      const { fraction, left } = eta.record(name, seconds, true);
      if (fraction < 0.1 || fraction >= 1) continue;
      expect(Math.abs(elapsed + left - total) / total).toBeLessThan(0.25);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('has work for every stage a study runs, named by seed', () => {
    const work = studyWork(studyConfig({ seedList: [0, 5] }), [1, 28]);
    expect(Object.keys(work).length).toBe(44);
    for (const [name, v] of Object.entries(work)) {
      expect(name).toMatch(/-s[05]$/);
      expect(v).toBeGreaterThan(0);
    }
  });

  it('leaves out the first stage\'s time (it compiles the shaders) once a second has run, and resumed stages calibrate nothing', () => {
    const eta = new Eta({ a: 10, b: 10, c: 20 });
    expect(eta.record('a', 100, true).left).toBeCloseTo(300, 9); // only the first: 0.1 units/s
    expect(eta.record('b', 5, true).left).toBeCloseTo(10, 9); // the second alone: 2 units/s
    const resumed = new Eta({ a: 10, b: 10 });
    expect(resumed.record('a', 0, false)).toEqual({ fraction: 0.5, left: NaN });
  });
});
