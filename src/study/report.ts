/**
 * From saved results to what the study writes: results.json with every finding judged, and the HTML
 * report that leads with the verdict table. Pure (no GPU, no files): `study` and `study merge` both
 * use it, so a merged run is judged and reported exactly like a single one.
 */
import { renderReport, type ReportSection } from '../report/html.js';
import { autoAttackSection, timeSection } from './sections.js';
import { judgeAll, reportSections, summaryLine, type Judged } from './findings/index.js';
import type { AdapterInfo, StudyResultsFile } from './results.js';

export const REPORT_TITLE = 'robustlens study: findings of four papers on robust networks, tested at small scale';

export function adapterText(a: AdapterInfo): string {
  return a ? [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' · ') : 'cpu (float64 reference)';
}

/** The results with every finding judged (records, verdicts, floors), and the judgement itself. */
export function judgedResults(results: StudyResultsFile): { file: StudyResultsFile; judged: Judged } {
  const judged = judgeAll(results);
  return { file: { ...results, findings: judged.records, verdicts: judged.verdicts, floors: judged.floors }, judged };
}

/** The self-contained HTML report of judged results. */
export function studyReportHtml(results: StudyResultsFile, judged: Judged, generated = new Date().toISOString()): string {
  const cfg = results.config;
  const adapters = results.mergedFrom ? [...new Set(results.mergedFrom.map((m) => adapterText(m.adapter)))].join('; ') : adapterText(results.adapter);
  return renderReport({
    title: REPORT_TITLE,
    summary: summaryLine(results, judged, results.dataName),
    generated,
    adapter: adapters,
    runtime: results.adapter?.runtime ?? 'cpu',
    data: results.dataName,
    settings: {
      quick: cfg.quick, seeds: results.seeds.map((s) => s.seed).join(', '), 'ε (L∞)': cfg.eps, 'TRADES β': cfg.beta, ...cfg.sizes,
      ...(results.mergedFrom ? { 'merged from': results.mergedFrom.map((m) => `${m.path} (seeds ${m.seeds.join(', ')})`).join('; ') } : {}),
    },
    durationSeconds: results.seconds,
    stageSeconds: results.stageSeconds,
    resumedSeconds: results.resumedSeconds,
  }, [...reportSections(results, judged), ...[autoAttackSection(results), timeSection(results)].filter((x): x is ReportSection => x !== null)]);
}
