/**
 * Descriptive report sections beside the findings: robust accuracy under AutoAttack next to PGD-K with
 * the gradient-masking checks of each attacked model, and the time each stage took. GPU-free.
 */
import type { Finding, ReportSection } from '../report/html.js';
import { num, pct } from './findings/present.js';
import type { StudyResultsFile } from './results.js';
import { mean } from './stats.js';

/** AutoAttack and PGD per model (mean over seeds) and every masking check that flagged, or that none did. */
export function autoAttackSection(results: StudyResultsFile): ReportSection | null {
  const seeds = results.seeds.filter((s) => s.autoAttack && Object.keys(s.autoAttack).length > 0);
  if (seeds.length === 0) return null;
  const models = Object.keys(seeds[0]!.autoAttack!);
  const numbers: Record<string, string> = {};
  const flags: string[] = [];
  for (const m of models) {
    const aa = seeds.map((s) => s.autoAttack![m]!).filter(Boolean);
    const pgd = seeds.map((s) => num(s.eval[m]?.pgd));
    numbers[m] = `AutoAttack ${pct(mean(aa.map((a) => num(a.robustAccuracy))))} on ${aa[0]!.n} images, PGD-${seeds[0]!.eval[m]?.steps ?? '?'} ${pct(mean(pgd))} on ${seeds[0]!.eval[m]?.n ?? '?'} images; clean ${pct(mean(aa.map((a) => num(a.cleanAccuracy))))}` +
      `; masking checks: ${[...new Set(aa.flatMap((a) => a.masking.map((c) => c.name)))].map((name) => {
        const bad = aa.filter((a) => a.masking.some((c) => c.name === name && c.status === 'flag')).length;
        return `${name} ${bad ? `FLAGGED in ${bad} of ${aa.length} seeds` : 'pass'}`;
      }).join(', ')}`;
    seeds.forEach((s) => s.autoAttack![m]?.masking.filter((c) => c.status === 'flag').forEach((c) => flags.push(`${m}, seed ${s.seed}: ${c.explanation}`)));
  }
  const st = seeds[0]!.autoAttack![models[0]!]!.settings;
  const finding: Finding = {
    id: 'autoattack',
    claim: `Robust accuracy under AutoAttack (${st.version}; ${st.steps} APGD iterations, ${st.nQueries} Square queries, ε = ${st.eps}) beside PGD, on a budget-sized subset of the test images, with the gradient-masking checks of the same evaluation. The models table and the floors use AutoAttack where it ran.`,
    ours: flags.length ? `Masking checks that flagged: ${flags.join(' ')}` : 'No gradient-masking check flagged.',
    numbers,
    figures: [],
  };
  return { paper: 'Robust accuracy under AutoAttack, and the gradient-masking checks', findings: [finding] };
}

/** Seconds per stage, the seeds' mean per kind of stage (the name without -s<seed>), and the total. */
export function timeSection(results: StudyResultsFile): ReportSection | null {
  const times = results.stageTimes;
  if (!times || Object.keys(times).length === 0) return null;
  const byKind = new Map<string, number[]>();
  for (const [name, s] of Object.entries(times)) {
    const kind = name.replace(/-s\d+$/, '');
    byKind.set(kind, [...(byKind.get(kind) ?? []), s]);
  }
  const total = Object.values(times).reduce((a, b) => a + b, 0);
  const numbers: Record<string, string> = {};
  for (const [kind, xs] of byKind) numbers[kind] = `${mean(xs).toFixed(1)} s per seed (${xs.length} seed${xs.length === 1 ? '' : 's'}, ${(100 * xs.reduce((a, b) => a + b, 0) / total).toFixed(1)}% of the total)`;
  return {
    paper: 'Time per stage',
    findings: [{
      id: 'time',
      claim: 'What each stage of the study cost on this machine (compute seconds, including stages resumed from earlier runs).',
      ours: `The stages took ${(total / 60).toFixed(1)} minutes in all over ${results.seeds.length} seed${results.seeds.length === 1 ? '' : 's'}; the run's wall time was ${(results.seconds / 60).toFixed(1)} minutes.`,
      numbers,
      figures: [],
    }],
  };
}
