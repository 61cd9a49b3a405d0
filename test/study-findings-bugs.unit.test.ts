// Issue 16 item 6: each findings bug of the old src/study/findings.ts, as a test that the old code fails
// (the comment on each says what it did), on synthetic results. GPU-free: no init(), no WebGPU import.
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random.js';
import { FINDINGS, judgeAll, StudyResultError } from '../src/study/findings/index.js';
import { judgeFinding, type FindingRecord } from '../src/study/findings/verdict.js';
import { HARD_LABELS, MODELS, type StudyInput } from '../src/study/results.js';
import { mean } from '../src/study/stats.js';
import { synthetic } from './helpers/study-synthetic.js';

const judge = (id: string, input: StudyInput): FindingRecord => judgeFinding(FINDINGS.find((f) => f.id === id)!, input, { strict: true });

describe('issue 16 item 6: the findings bugs', () => {
  it('a4 reads its gap and its best-vs-last CKA from one run, never another model\'s', () => {
    // Old: bestLast of deep-pgd-at, else cnn-pgd-at, with the gap always from deep-pgd-at.
    const input = synthetic({ knobs: { a4: { effect: 0.3, noise: 0.01 } } });
    const ro = input.seeds[0]!.cka.bestLast[MODELS.roPgdAt]!;
    for (const s of input.seeds) {
      s.cka.bestLast[MODELS.roPgdAt] = null; // this run's best epoch was its last: nothing overfitted
      s.cka.bestLast[MODELS.cnnPgdAt] = ro; // another model's matrix, with a strong drop, must not stand in
      s.cka.bestLast[MODELS.deepPgdAt] = ro;
    }
    const r = judge('a4', input);
    expect(r.verdict).toBe('inconclusive');
    expect(r.estimate).toBeNaN();
    expect(r.n).toBe(0);
    expect(r.ours).toMatch(/^In 0 of 3 seeds the best epoch of ro-pgd-at came before the last/);
    // With the matrices back, the gap a4 quotes is that same run's best − last (c3's numbers).
    const back = synthetic({ knobs: { a4: { effect: 0.3, noise: 0.01 }, c3: { effect: 0.1, noise: 0 } } });
    expect(judge('a4', back).numbers['robust-overfitting gap of the same run']).toBeCloseTo(judge('c3', back).estimate, 12);
  });

  it('an all-NaN list has no mean: b2 on NaN filters is inconclusive, not "not reproduced"', () => {
    // Old: mean([NaN, …]) = 0 for both models, so "0 < 0" made b2 "not reproduced".
    expect(mean([NaN, NaN])).toBeNaN();
    const input = synthetic({ knobs: { b2: { effect: 0.3, noise: 0.01 } } });
    for (const s of input.seeds) for (const m of Object.values(s.simplicity.models)) m.filterTV = m.filterTV.map(() => NaN);
    const r = judge('b2', input);
    expect([r.verdict, r.estimate]).toEqual(['inconclusive', NaN]);
  });

  describe('c3 chooses its best epoch on a validation split and can fail', () => {
    it('says "not reproduced" with its interval when there is no gap', () => {
      // Old: "reproduced" if the gap was > 1 point, else "inconclusive", so it could never fail.
      const r = judge('c3', synthetic({ knobs: { c3: { effect: 0, noise: 0 } } }));
      expect(r.verdict).toBe('not reproduced');
      expect(r.ci[1]).toBeLessThan(0.02);
    });
    it('refuses a best epoch that is not the validation split\'s', () => {
      // Old: the best epoch was the maximum on the same 128 images whose drop it then reported.
      const input = synthetic();
      input.seeds[1]!.robustOverfitting![MODELS.roPgdAt]!.bestEpoch = 4;
      expect(() => judge('c3', input)).toThrow(StudyResultError);
      expect(() => judge('c3', input)).toThrow(/seed 1\) records best epoch 4, but the first maximum of its validation robust accuracy is epoch 3/);
    });
    it('refuses gap images that overlap the validation split', () => {
      const input = synthetic();
      const run = input.seeds[0]!.robustOverfitting![MODELS.roPgdAt]!;
      run.validation = { ...run.validation, source: 'test', indices: [7, 1000, 1001] };
      expect(() => judge('c3', input)).toThrow(/measures its gap on 1 images of the validation split .*test\[7\].* must be disjoint/);
    });
  });

  it('c1 does not call 35% robust training accuracy "memorised"', () => {
    // Old: "reproduced" as soon as the accuracy passed 30%.
    const r = judge('c1', synthetic({ knobs: { c1: { effect: 0.25, noise: 0.01 } } }));
    expect(r.numbers['robust train accuracy (mean over seeds)']).toBeCloseTo(0.35, 1);
    expect(r.verdict).toBe('not reproduced');
    expect(r.control!.name).toBe('chance');
    expect(r.control!.estimate).toBeCloseTo(0.35, 1);
    expect(r.control!.ci[0]).toBeGreaterThan(0.1); // above chance, by its Wilson interval, and still not memorised
  });

  it('d3 is judged against a hard-label student, and d3-nonmax on a pre-registered mean, not the best of several manipulations', () => {
    // Old: "reproduced" when the AT student beat the standard teacher's student and any one manipulation lowered it.
    const input = synthetic();
    for (const s of input.seeds) {
      const row = (t: string, m: string) => s.distill.find((x) => x.teacher === t && x.manipulation === m)!;
      row(MODELS.cnnPgdAt, 'none').pgd = 0.3 + 0.001 * s.seed; // no better than hard labels …
      row(HARD_LABELS, 'none').pgd = 0.3;
      row(MODELS.cnnStandard, 'none').pgd = 0.05; // … though far better than the standard teacher's student
      row(MODELS.cnnPgdAt, 'shuffleNonMax').pgd = 0.2; // one manipulation lowers it by 10 points,
      row(MODELS.cnnPgdAt, 'flattenNonMax').pgd = 0.4; // the other raises it by 10
    }
    expect(judge('d3', input).verdict).toBe('not reproduced');
    expect(judge('d3-nonmax', input).verdict).toBe('not reproduced');
  });

  it('d2 is judged against two standard seeds, not "Spearman < 0.9"', () => {
    // Old: "reproduced" whenever ρ(AT, std) < 0.9, even when two standard seeds agree no better.
    const input = synthetic();
    const rng = new Rng(3);
    for (const s of input.seeds) {
      const u = Array.from({ length: 1500 }, () => rng.normal());
      const noisy = () => u.map((x) => x + 0.75 * rng.normal()); // ρ ≈ 0.8 with u
      s.logits.models[MODELS.cnnStandard]!.values.confidence = u;
      s.logits.models[MODELS.cnnStandardB]!.values.confidence = noisy();
      s.logits.models[MODELS.cnnPgdAt]!.values.confidence = noisy();
    }
    const r = judge('d2', input);
    expect(r.numbers['ρ(AT, std)']).toBeLessThan(0.9);
    expect(r.verdict).toBe('not reproduced');
  });

  it('the random-label findings state the settings they rest on (Adam, ε/2), and c2 refuses runs that differ in them', () => {
    const input = synthetic();
    for (const id of ['c1', 'c2']) {
      const r = judge(id, input);
      expect(r.settings).toMatch(/rl-pgd-at: PGD-AT with PGD-5 at ε = 0\.1 \(the study's ε is 0\.2\).*Adam lr 0\.001, no weight decay, batch 32, 40 epochs on 128 images, 100% of the labels drawn uniformly at random from 10 classes/);
    }
    expect(judge('c2', input).settings).toMatch(/rl-trades: TRADES β = 6 with PGD-5 at ε = 0\.1/);
    input.seeds[2]!.trained[MODELS.rlTrades]!.settings!.optimizer = 'SGD';
    expect(() => judge('c2', input)).toThrow(/c2 compares rl-pgd-at and rl-trades, which must share optimiser, ε and data, but they differ: optimizer Adam vs SGD/);
    // In a study run the other findings are still judged, and c2 says why it is not.
    const all = judgeAll(input);
    const c2 = all.records.find((r) => r.id === 'c2')!;
    expect([c2.verdict, c2.estimate, c2.error]).toEqual(['inconclusive', NaN, expect.stringMatching(/optimizer Adam vs SGD/)]);
    expect(all.records.filter((r) => r.error).map((r) => r.id)).toEqual(['c2']);
  });
});
