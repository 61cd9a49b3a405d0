// Seeds by default and --seed-list (issue 16 §1), GPU-free: the config's seed list, the command line's
// checks (exit 2 before any GPU work), every seed's stages named by its seed, and merged seed lists.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { studyConfig } from '../src/study/config.js';
import { studyWork } from '../src/study/work.js';
import { mergeResults } from '../src/study/merge.js';
import { RESULTS_SCHEMA, type StudyResultsFile } from '../src/study/results.js';
import { captureConsole as capture } from './helpers/capture.js';
import { synthetic } from './helpers/study-synthetic.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('study seeds', () => {
  it('runs 3 seeds by default and 2 with --quick; --seeds N is 0 … N−1; a seed list is taken as given', () => {
    expect(studyConfig()).toMatchObject({ seeds: 3, seedList: [0, 1, 2] });
    expect(studyConfig({ quick: true })).toMatchObject({ seeds: 2, seedList: [0, 1] });
    expect(studyConfig({ seeds: 5 })).toMatchObject({ seeds: 5, seedList: [0, 1, 2, 3, 4] });
    expect(studyConfig({ seedList: [3, 4] })).toMatchObject({ seeds: 2, seedList: [3, 4] });
  });

  it('refuses an empty seed list, a seed twice and a negative or fractional seed', () => {
    for (const bad of [[], [1, 1], [-1], [0.5]]) expect(() => studyConfig({ seedList: bad })).toThrow(/seed list .* must name one or more distinct integers >= 0/);
  });

  it('names every stage of a seed by that seed, so separate runs of other seeds never share a stage', () => {
    const names = Object.keys(studyWork(studyConfig({ seedList: [3, 4] }), [1, 28]));
    const per = names.filter((n) => n.endsWith('-s3'));
    expect(per.length).toBe(22);
    expect(names.filter((n) => n.endsWith('-s4')).length).toBe(22);
    expect(names.length).toBe(44);
    expect(per).toContain('train-ro-pgd-at-te-s3');
  });

  it('checks --seed-list on the command line before any GPU work (exit 2, one line)', async () => {
    const cases: [string[], RegExp][] = [
      [['--seed-list', '3,x'], /--seed-list must be distinct integers >= 0 separated by commas \(e\.g\. 3,4\), got '3,x'/],
      [['--seed-list', '3,3'], /--seed-list must be distinct integers/],
      [['--seeds', '2', '--seed-list', '3'], /give --seeds N or --seed-list L, not both/],
      [['--seeds', '0'], /--seeds must be an integer >= 1/],
    ];
    for (const [args, want] of cases) {
      const { err } = capture();
      expect(await main(['study', ...args, '--out', '/nonexistent/never-written'])).toBe(2);
      expect(err.join('\n')).toMatch(want);
      vi.restoreAllMocks();
    }
  });

  it('merges parts run with different seed lists and records the merged list', () => {
    const part = (seeds: number, firstSeed: number, path: string) => {
      const input = synthetic({ seeds, firstSeed });
      const seedList = input.seeds.map((s) => s.seed);
      const r: StudyResultsFile = {
        ...input, config: { ...input.config, seeds: seedList.length, seedList }, schema: RESULTS_SCHEMA, dataName: 'MNIST digits', adapter: null,
        seconds: 10, stageSeconds: 9, resumedSeconds: 0, stageTimes: Object.fromEntries(seedList.map((s) => [`eval-s${s}`, 3])),
      };
      return { path, results: JSON.parse(JSON.stringify(r)) as unknown };
    };
    const merged = mergeResults([part(2, 0, 'a/results.json'), part(1, 3, 'b/results.json')]);
    expect(merged.config).toMatchObject({ seeds: 3, seedList: [0, 1, 3] });
    expect(merged.stageTimes).toEqual({ 'eval-s0': 3, 'eval-s1': 3, 'eval-s3': 3 });
  });
});
