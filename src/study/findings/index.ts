/**
 * Every finding of the study, judged from saved results by one rule (verdict.ts), with the model
 * floors, as plain numbers for results.json and as report sections. GPU-free: imports nothing that
 * touches WebGPU (test/study-pure.test.ts checks the import graph).
 */
import type { Finding, ReportSection } from '../../report/html.js';
import type { StudyInput } from '../results.js';
import { checkFloors, flagsFor, modelsFinding, type FloorCheck } from './floors.js';
import { LOGIT_FINDINGS } from './logits.js';
import { MEMORIZATION_FINDINGS } from './memorization.js';
import { f3, fmtCi } from './present.js';
import { SIMILARITY_FINDINGS } from './similarity.js';
import { SIMPLICITY_FINDINGS } from './simplicity.js';
import { judgeFinding, MissingResultError, type FindingDef, type FindingRecord, type Verdict } from './verdict.js';

export { verdict, MissingResultError, StudyResultError, type FindingDef, type FindingRecord, type Verdict } from './verdict.js';
export type { FloorCheck } from './floors.js';

export const FINDINGS: readonly FindingDef[] = [...SIMILARITY_FINDINGS, ...SIMPLICITY_FINDINGS, ...MEMORIZATION_FINDINGS, ...LOGIT_FINDINGS];

export interface Judged {
  records: FindingRecord[];
  floors: FloorCheck[];
  verdicts: Record<string, Verdict>;
}

/**
 * Judge every finding. A finding whose inputs the results lack is recorded as not measured
 * (inconclusive, NaN estimate, the reason in `missing`); with `strict` that is an error instead.
 * Results that contradict the design (StudyResultError) are always an error.
 */
export function judgeAll(input: StudyInput, o: { strict?: boolean } = {}): Judged {
  const floors = checkFloors(input);
  const records = FINDINGS.map((def) => judgeFinding(def, input, { strict: o.strict, flags: flagsFor(def.models, floors) }));
  return { records, floors, verdicts: Object.fromEntries(records.map((r) => [r.id, r.verdict])) };
}

const controlSentence = (r: FindingRecord): string | null =>
  r.control ? `${r.control.name}: ${r.control.description}: ${f3(r.control.estimate)} ${fmtCi(r.control.ci)} (${r.control.interval}).` : null;

function asReportFinding(def: FindingDef, r: FindingRecord, input: StudyInput): Finding {
  let figures: Finding['figures'] = [];
  if (!r.missing && !r.error) {
    try {
      figures = def.figures(input);
    } catch (e) {
      if (!(e instanceof MissingResultError)) throw e;
    }
  }
  return {
    id: r.id,
    claim: r.claim,
    ours: r.ours,
    verdict: r.verdict,
    test: {
      short: r.short, statisticShort: r.statisticShort, statistic: r.statistic, estimate: r.estimate, ci: r.ci, delta: r.delta, deltaReason: r.deltaReason,
      n: r.n, unit: r.unit, interval: r.interval, control: controlSentence(r), settings: r.settings, flags: r.flags,
      ...(r.missing ? { missing: r.missing } : {}), ...(r.error ? { error: r.error } : {}),
    },
    numbers: r.numbers,
    figures,
  };
}

/** The report's sections: one per paper, in the order of FINDINGS, then the models and their floors. */
export function reportSections(input: StudyInput, judged: Judged): ReportSection[] {
  const sections: ReportSection[] = [];
  FINDINGS.forEach((def, i) => {
    const f = asReportFinding(def, judged.records[i]!, input);
    const last = sections[sections.length - 1];
    if (last?.paper === def.paper) last.findings.push(f);
    else sections.push({ paper: def.paper, findings: [f] });
  });
  sections.push({ paper: 'The models and their accuracy floors', findings: [modelsFinding(judged.floors)] });
  return sections;
}

/** The report's one-line summary. */
export function summaryLine(input: StudyInput, judged: Judged, dataName: string): string {
  const count = (v: Verdict) => judged.records.filter((r) => r.verdict === v).length;
  const missing = judged.records.filter((r) => r.missing).length;
  const errors = judged.records.filter((r) => r.error).length;
  const below = new Set(judged.floors.filter((c) => c.below.length > 0).map((c) => c.model));
  const seeds = input.seeds.map((s) => s.seed);
  return `${count('reproduced')} of ${judged.records.length} findings reproduced, ${count('not reproduced')} not reproduced, ${count('inconclusive')} inconclusive` +
    `${missing ? ` (${missing} of them not measured in these results)` : ''}${errors ? `, ${errors} not judged: the results contradict the design` : ''}; ${seeds.length} seed${seeds.length === 1 ? '' : 's'} (${seeds.join(', ')}) on ${dataName}` +
    `${below.size ? `; ${below.size} model${below.size === 1 ? '' : 's'} below ${below.size === 1 ? 'its' : 'their'} accuracy floor` : ''}.`;
}
