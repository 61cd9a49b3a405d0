/**
 * `study merge DIR…`: one result from the per-seed results of separate runs (a job array that farms
 * the seeds out). Pure: parts in, merged results out. It refuses parts of another schema, parts with
 * different settings, and a seed that appears twice, each with an error naming the files; the merged
 * results are judged afresh (findings over all seeds), never by combining the parts' verdicts.
 */
import { FormatError, ValueError } from '../errors.js';
import type { StudyConfig } from './config.js';
import { RESULTS_SCHEMA, type StudyResultsFile } from './results.js';

/** Config fields that may differ between the parts of one study (how a run was invoked, not what it measured). */
const PER_RUN: readonly (keyof StudyConfig)[] = ['seeds', 'seedList', 'outDir', 'resume', 'quiet'];

/** JSON with sorted keys, so that two settings compare equal however their fields were ordered. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

function settingsOf(cfg: StudyConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(cfg).filter(([k]) => !PER_RUN.includes(k as keyof StudyConfig)));
}

/** The differences between two settings, flattened one level (e.g. "sizes.epochs 4 vs 6"). */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[k];
    const y = b[k];
    if (canonical(x) === canonical(y)) continue;
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x)) {
      out.push(...differences(x as Record<string, unknown>, y as Record<string, unknown>).map((d) => `${k}.${d}`));
    } else out.push(`${k} ${canonical(x)} vs ${canonical(y)}`);
  }
  return out;
}

/** Checks that a parsed results.json is one this version can merge; names the file when it is not. */
function checked(path: string, r: unknown): StudyResultsFile {
  const o = r as Partial<StudyResultsFile> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new FormatError(`study merge: ${path} is not a study's results (a JSON object written by robustlens study)`);
  if (o.schema !== RESULTS_SCHEMA) {
    throw new FormatError(`study merge: ${path} has results schema ${o.schema ?? 'none (written before schema 2)'}; this robustlens merges schema ${RESULTS_SCHEMA}: rerun that part with this version`);
  }
  if (!o.config || typeof o.config !== 'object' || !Array.isArray(o.seeds) || o.seeds.some((s) => !s || !Number.isInteger(s.seed))) {
    throw new FormatError(`study merge: ${path} lacks 'config' or a 'seeds' list of per-seed results with integer seed numbers`);
  }
  return o as StudyResultsFile;
}

export function mergeResults(parts: readonly { path: string; results: unknown }[]): StudyResultsFile {
  if (parts.length === 0) throw new ValueError('study merge: give at least one results directory');
  const runs = parts.map((p) => ({ path: p.path, r: checked(p.path, p.results) }));
  const first = runs[0]!;
  const base = settingsOf(first.r.config);
  for (const run of runs.slice(1)) {
    const diff = differences(base, settingsOf(run.r.config));
    if (diff.length) {
      throw new ValueError(`study merge: ${run.path} was run with other settings than ${first.path} (${diff.join('; ')}); only runs of the same study can be merged`);
    }
    if (run.r.dataName !== first.r.dataName) throw new ValueError(`study merge: ${run.path} holds ${run.r.dataName}, ${first.path} holds ${first.r.dataName}`);
  }
  const owner = new Map<number, string>();
  for (const run of runs) {
    for (const s of run.r.seeds) {
      const other = owner.get(s.seed);
      if (other !== undefined) {
        throw new ValueError(`study merge: seed ${s.seed} is in both ${other} and ${run.path}; the parts must have disjoint seed lists (rerun one part with other seeds)`);
      }
      owner.set(s.seed, run.path);
    }
  }
  const seeds = runs.flatMap((run) => run.r.seeds).sort((a, b) => a.seed - b.seed);
  const sum = (k: 'seconds' | 'stageSeconds' | 'resumedSeconds') => runs.reduce((a, run) => a + (Number(run.r[k]) || 0), 0);
  return {
    schema: RESULTS_SCHEMA,
    config: { ...first.r.config, seeds: seeds.length, seedList: seeds.map((s) => s.seed) },
    dataName: first.r.dataName,
    adapter: first.r.adapter ?? null,
    seconds: sum('seconds'),
    stageSeconds: sum('stageSeconds'),
    resumedSeconds: sum('resumedSeconds'),
    // Stage names carry their seed, and the parts' seeds are disjoint: the timings never collide.
    stageTimes: Object.assign({}, ...runs.map((run) => run.r.stageTimes ?? {})),
    mergedFrom: runs.flatMap((run) => run.r.mergedFrom ?? [{ path: run.path, seeds: run.r.seeds.map((s) => s.seed), adapter: run.r.adapter ?? null, seconds: Number(run.r.seconds) || 0 }]),
    seeds,
  };
}
