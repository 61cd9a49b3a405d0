// The verdict rule and every finding on synthetic multi-seed results, GPU-free (no init(), no WebGPU
// import): each finding yields each of the three verdicts from data built to carry a known effect,
// all-NaN inputs give "inconclusive" with a NaN estimate (never a number), a missing model is a clear
// error naming the model and the finding, and results survive a JSON round trip unchanged.
import { describe, expect, it } from 'vitest';
import { FINDINGS, judgeAll, MissingResultError, verdict } from '../src/study/findings/index.js';
import { judgeFinding, type FindingDef } from '../src/study/findings/verdict.js';
import { EPS_LADDER, MODELS } from '../src/study/results.js';
import { allNaN, synthetic, withoutModel, type Knob } from './helpers/study-synthetic.js';

describe('the verdict rule', () => {
  it('reproduced: low end above 0 and estimate at least δ', () => {
    expect(verdict(0.2, [0.01, 0.4], 0.1)).toBe('reproduced');
    expect(verdict(0.1, [0.05, 0.15], 0.1)).toBe('reproduced'); // estimate exactly δ
    expect(verdict(0.09, [0.05, 0.15], 0.1)).toBe('inconclusive'); // above 0 but smaller than δ, and δ not excluded
    expect(verdict(0.2, [0, 0.4], 0.1)).toBe('inconclusive'); // the low end must be strictly above 0
  });
  it('not reproduced: high end below δ (also when the effect is clearly positive but small)', () => {
    expect(verdict(0, [-0.02, 0.02], 0.1)).toBe('not reproduced');
    expect(verdict(0.05, [0.03, 0.07], 0.1)).toBe('not reproduced');
    expect(verdict(-0.5, [-0.7, -0.3], 0.1)).toBe('not reproduced');
    expect(verdict(0.05, [0.03, 0.1], 0.1)).toBe('inconclusive'); // high end equal to δ: not below
  });
  it('inconclusive whenever the estimate or a bound is NaN, never a number', () => {
    for (const [e, lo, hi] of [[NaN, 0.1, 0.2], [0.2, NaN, 0.3], [0.2, 0.1, NaN], [NaN, NaN, NaN]]) expect(verdict(e!, [lo!, hi!], 0.1)).toBe('inconclusive');
  });
  it('refuses a δ that is not positive and an interval upside down', () => {
    expect(() => verdict(0.2, [0.1, 0.3], 0)).toThrow(/smallest effect of interest must be > 0/);
    expect(() => verdict(0.2, [0.3, 0.1], 0.1)).toThrow(/low end above its high end/);
  });
  it('never says both: an estimate above its own interval decides nothing', () => {
    expect(verdict(0.5, [0.01, 0.05], 0.1)).toBe('inconclusive');
  });
});

const t = (delta: number) => ({
  reproduced: { effect: 3 * delta, noise: 0.1 * delta },
  'not reproduced': { effect: 0, noise: 0.1 * delta },
  inconclusive: { effect: delta, noise: 3 * delta },
});
// Knobs per finding and verdict: the effect built into the data and its seed-to-seed noise.
const CASES: Record<string, Record<'reproduced' | 'not reproduced' | 'inconclusive', Knob>> = {
  a1: t(0.05), a2: t(0.05), a3: t(0.1), a4: t(0.05), b1: t(0.05), b2: t(0.1), b3: t(0.1), d1: t(0.1), d3: t(0.03), 'd3-nonmax': t(0.02),
  c1: { reproduced: { effect: 0.85, noise: 0.01 }, 'not reproduced': { effect: 0.2, noise: 0.01 }, inconclusive: { effect: 0.7, noise: 0.15 } },
  c2: { reproduced: { effect: 0.8, noise: 0.01 }, 'not reproduced': { effect: 0.1, noise: 0.01 }, inconclusive: { effect: 0.45, noise: 0.3 } },
  c3: { reproduced: { effect: 0.1, noise: 0.005 }, 'not reproduced': { effect: 0, noise: 0 }, inconclusive: { effect: 0.02, noise: 0.03 } },
  'c3-te': { reproduced: { effect: 0.08, noise: 0.005 }, 'not reproduced': { effect: 0, noise: 0 }, inconclusive: { effect: 0.02, noise: 0.03 } },
  d2: { reproduced: { effect: 0.4, noise: 0.01 }, 'not reproduced': { effect: 0, noise: 0.005 }, inconclusive: { effect: 0.1, noise: 0.15 } },
};

/** The model each finding is tested without, and a word its error must contain. */
const MISSING: Record<string, string> = {
  a1: MODELS.deepPgdAt, a2: MODELS.deepPgdAt, a3: MODELS.deepStandard, a4: MODELS.roPgdAt, b1: MODELS.cnnPgdAt, b2: MODELS.cnnStandard, b3: MODELS.cnnPgdAt,
  c1: MODELS.rlPgdAt, c2: MODELS.rlTrades, c3: MODELS.roPgdAt, 'c3-te': MODELS.roPgdAtTe, d1: EPS_LADDER[1]!.model, d2: MODELS.cnnStandardB, d3: 'hard-labels', 'd3-nonmax': MODELS.cnnPgdAt,
};

describe('every finding on synthetic results', () => {
  it('covers every finding of the study', () => {
    expect(FINDINGS.map((f) => f.id).sort()).toEqual(Object.keys(CASES).sort());
    expect(Object.keys(MISSING).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const def of FINDINGS) {
    describe(def.id, () => {
      for (const want of ['reproduced', 'not reproduced', 'inconclusive'] as const) {
        it(`says "${want}" when the data carry that effect`, () => {
          const r = judgeFinding(def, synthetic({ knobs: { [def.id]: CASES[def.id]![want] } }), { strict: true });
          expect({ id: r.id, verdict: r.verdict, estimate: r.estimate, ci: r.ci }).toEqual({ id: def.id, verdict: want, estimate: expect.any(Number), ci: [expect.any(Number), expect.any(Number)] });
          expect(r.n).toBe(3);
          expect(r.ci[0]).toBeLessThanOrEqual(r.ci[1]);
          expect(r.perSeed.map((p) => p.seed)).toEqual([0, 1, 2]);
        });
      }

      it('gives "inconclusive" and a NaN estimate (not a number) for all-NaN inputs, also after a JSON round trip', () => {
        const nan = allNaN(synthetic({ knobs: { [def.id]: CASES[def.id]!.reproduced } }));
        for (const input of [nan, JSON.parse(JSON.stringify(nan))]) {
          const r = judgeFinding(def, input, { strict: true });
          expect(r.verdict).toBe('inconclusive');
          expect(r.estimate).toBeNaN();
        }
      });

      it('names the finding and the model when a model is missing', () => {
        const model = MISSING[def.id]!;
        const input = withoutModel(synthetic(), model);
        expect(() => judgeFinding(def, input, { strict: true })).toThrow(MissingResultError);
        expect(() => judgeFinding(def, input, { strict: true })).toThrow(new RegExp(`^${def.id} rests on .*${model}.*seed 0`));
        const lenient = judgeFinding(def, input);
        expect([lenient.verdict, lenient.estimate, lenient.missing]).toEqual(['inconclusive', NaN, expect.stringContaining(model)]);
      });
    });
  }
});

describe('the findings as a whole', () => {
  it('states, per finding, its statistic, unit, interval and a δ with its reason', () => {
    for (const def of FINDINGS as FindingDef[]) {
      expect(def.delta).toBeGreaterThan(0);
      expect(def.deltaReason.length).toBeGreaterThan(40);
      expect(def.statistic.length).toBeGreaterThan(40);
      expect(['seeds', 'examples within seeds']).toContain(def.unit);
      expect(def.interval).toMatch(/Student-t interval over seeds|percentile bootstrap over seeds × examples/);
      expect(def.models.length).toBeGreaterThan(0);
    }
  });

  it('judges results that went through JSON exactly as the results themselves', () => {
    const input = synthetic({ knobs: { a1: CASES.a1!.reproduced, c3: CASES.c3!.inconclusive } });
    const a = judgeAll(input, { strict: true });
    const b = judgeAll(JSON.parse(JSON.stringify(input)), { strict: true });
    expect(b.verdicts).toEqual(a.verdicts);
    expect(b.records.map((r) => [r.estimate, r.ci])).toEqual(a.records.map((r) => [r.estimate, r.ci]));
  });

  it('needs two seeds for an interval: one seed is inconclusive, whatever its numbers (t and bootstrap alike)', () => {
    const knobs = Object.fromEntries(Object.entries(CASES).map(([id, c]) => [id, c.reproduced]));
    expect(Object.values(judgeAll(synthetic({ knobs }), { strict: true }).verdicts).every((v) => v === 'reproduced')).toBe(true);
    const one = judgeAll(synthetic({ seeds: 1, knobs }), { strict: true });
    for (const r of one.records) {
      expect([r.id, r.verdict, r.ci]).toEqual([r.id, 'inconclusive', [NaN, NaN]]);
      expect(r.estimate).toEqual(expect.any(Number));
    }
  });

  it('records every finding once, with the fields results.json promises', () => {
    const { records, verdicts } = judgeAll(synthetic());
    expect(records.map((r) => r.id)).toEqual(FINDINGS.map((f) => f.id));
    expect(Object.keys(verdicts)).toEqual(FINDINGS.map((f) => f.id));
    for (const r of records) {
      for (const k of ['id', 'claim', 'statistic', 'estimate', 'ci', 'delta', 'deltaReason', 'n', 'unit', 'interval', 'verdict', 'control', 'settings', 'numbers', 'perSeed']) expect(r).toHaveProperty(k);
    }
  });

  it('reports RBF CKA beside the linear CKA where the results have it (a1, a2), and says when they do not', () => {
    const input = synthetic({ knobs: { a1: CASES.a1!.reproduced, a2: CASES.a2!.reproduced } });
    const number = (id: string, key: string) => judgeAll(input, { strict: true }).records.find((r) => r.id === id)!.numbers[key];
    expect(number('a1', 'RBF CKA: LR(AT) − LR(std)')).toBe('not measured');
    expect(number('a2', 'RBF CKA: D(late) − D(early) (mean)')).toBe('not measured');
    for (const s of input.seeds) s.cka.rbf = { within: s.cka.within, cross: s.cka.cross }; // the same matrices, so the same statistics
    expect(number('a1', 'RBF CKA: LR(AT) − LR(std)')).toBeCloseTo(0.15, 10);
    expect(number('a2', 'RBF CKA: D(late) − D(early) (mean)')).toBeCloseTo(0.15, 10);
  });

  it('flags findings that rest on a model below its accuracy floor', () => {
    const input = synthetic();
    input.seeds[1]!.eval[MODELS.deepStandard]!.clean = 0.68; // issue 16: today's deep CNNs reach 68%
    const { records, floors } = judgeAll(input);
    const bad = floors.filter((c) => c.below.length);
    expect(bad.map((c) => [c.model, c.seed])).toEqual([[MODELS.deepStandard, 1]]);
    expect(records.find((r) => r.id === 'a1')!.flags).toEqual([expect.stringMatching(/^deep-standard is below its floor in 1 of 3 seeds \(seed 1: clean 68\.0% < 97\.0%\)/)]);
    expect(records.find((r) => r.id === 'b1')!.flags).toEqual([]);
    // A standard model that is not broken at the study's ε is below its floor too.
    input.seeds[0]!.eval[MODELS.cnnStandard]!.pgd = 0.3;
    expect(judgeAll(input).floors.find((c) => c.model === MODELS.cnnStandard && c.seed === 0)!.below).toEqual(['PGD-20 30.0% > 5.0%']);
    // AutoAttack, where the evaluation ran it, is the robust accuracy the floor is checked against.
    input.seeds[0]!.eval[MODELS.cnnStandard]!.autoAttack = 0.01;
    expect(judgeAll(input).floors.find((c) => c.model === MODELS.cnnStandard && c.seed === 0)!).toMatchObject({ attack: 'AutoAttack', robust: 0.01, below: [] });
  });
});
