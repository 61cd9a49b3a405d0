/** Writes a study's results.json and report.html (atomically), judged from its seeds; used by `study` and `study merge`. */
import { join } from 'node:path';
import type { Verdict } from './findings/index.js';
import { judgedResults, studyReportHtml } from './report.js';
import type { StudyResultsFile } from './results.js';
import { writeTextAtomic } from '../data/fs-node.js';

export async function writeStudyOutputs(outDir: string, results: StudyResultsFile): Promise<{ resultsPath: string; reportPath: string; verdicts: Record<string, Verdict>; missing: Record<string, string>; errors: Record<string, string> }> {
  const { file, judged } = judgedResults(results);
  const resultsPath = join(outDir, 'results.json');
  const reportPath = join(outDir, 'report.html');
  await writeTextAtomic(resultsPath, JSON.stringify(file, null, 1));
  await writeTextAtomic(reportPath, studyReportHtml(results, judged));
  const missing = Object.fromEntries(judged.records.filter((r) => r.missing).map((r) => [r.id, r.missing!]));
  const errors = Object.fromEntries(judged.records.filter((r) => r.error).map((r) => [r.id, r.error!]));
  return { resultsPath, reportPath, verdicts: judged.verdicts, missing, errors };
}
