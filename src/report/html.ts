import { esc } from './svg.js';

export type Verdict = 'reproduced' | 'not reproduced' | 'inconclusive';

/** A finding's pre-registered test, as plain numbers and sentences. */
export interface PreRegistered {
  /** The claim in a few words, and the statistic as a short formula (the verdict table's columns). */
  short: string;
  statisticShort: string;
  statistic: string;
  estimate: number;
  ci: readonly [number, number];
  delta: number;
  deltaReason: string;
  n: number;
  unit: string;
  interval: string;
  /** The baseline the claim is measured against, in a sentence (null: none). */
  control: string | null;
  /** The settings the verdict rests on. */
  settings: string;
  /** Models below their accuracy floor. */
  flags: string[];
  /** Set when the results lack what the finding needs. */
  missing?: string;
  /** Set when the results contradict the finding's design. */
  error?: string;
}

/** One claim of a paper next to what our small-scale run found, with the numbers behind it. */
export interface Finding {
  id: string; // e.g. 'a1' as in methods.md §6
  claim: string; // the paper's statement
  ours: string; // our statement, quoting the numbers
  /** Absent for descriptive sections (e.g. the models table). */
  verdict?: Verdict;
  test?: PreRegistered;
  numbers: Record<string, number | string | null>;
  figures: { caption: string; svg: string }[];
}

export interface ReportSection {
  paper: string; // e.g. '(a) Cianfarani et al. 2022: representation similarity'
  findings: Finding[];
}

export interface ReportMeta {
  title: string;
  /** One line: what was found, over how many seeds of which data. */
  summary: string;
  generated: string;
  adapter: string;
  runtime: string;
  data: string;
  settings: Record<string, string | number | boolean>;
  /** Wall time of this run. */
  durationSeconds: number;
  /** Seconds all stages took to compute, including those finished by earlier runs (--resume). */
  stageSeconds?: number;
  /** The part of stageSeconds spent in earlier runs. */
  resumedSeconds?: number;
}

const BADGE: Record<Verdict, string> = {
  reproduced: '#2e7d32',
  'not reproduced': '#c62828',
  inconclusive: '#757575',
};

// A value may be missing (null after a JSON round trip of NaN): shown as n/a, never as a crash.
const fmtValue = (v: number | string | null | undefined): string =>
  v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? 'n/a' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(4)) : esc(v);

/** Three significant decimals for estimates and bounds (n/a when not a number). */
const fmtStat = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3)) : 'n/a');

const badge = (v: Verdict): string => `<span class="badge" style="background:${BADGE[v]}">${esc(v)}</span>`;

function verdictTable(findings: readonly Finding[]): string {
  const rows = findings.map((f) => {
    const t = f.test!;
    const flag = t.flags.length ? ` <a class="flag" href="#models" title="${esc(t.flags.join('; '))}">⚠ floor</a>` : '';
    const missing = t.missing ? ` <span class="missing" title="${esc(t.missing)}">not measured</span>` : t.error ? ` <span class="error" title="${esc(t.error)}">not judged: see ${esc(f.id)}</span>` : '';
    return `<tr><td><a href="#${esc(f.id)}">${esc(f.id)}</a></td><td>${esc(t.short)}${flag}</td><td class="stat">${esc(t.statisticShort)}</td>` +
      `<td class="num">${fmtStat(t.estimate)}</td><td class="num">[${fmtStat(t.ci[0])}, ${fmtStat(t.ci[1])}]</td><td class="num">${fmtStat(t.delta)}</td>` +
      `<td>${badge(f.verdict!)}${missing}</td></tr>`;
  });
  return `<table class="verdicts"><thead><tr><th>finding</th><th>claim</th><th>statistic</th><th>estimate</th><th>95% interval</th><th>δ</th><th>verdict</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<p class="rule">Each finding's statistic is oriented so that the claim predicts a positive value. <b>Reproduced</b>: the interval's low end is above 0 and the estimate is at least δ, the smallest effect of interest; <b>not reproduced</b>: the interval's high end is below δ; <b>inconclusive</b>: anything else.</p>`;
}

function testBox(t: PreRegistered): string {
  const row = (k: string, v: string) => `<tr><th>${k}</th><td>${v}</td></tr>`;
  return `<table class="test"><tbody>
${row('statistic', esc(t.statistic))}
${row('estimate', `<b>${fmtStat(t.estimate)}</b>, 95% interval [${fmtStat(t.ci[0])}, ${fmtStat(t.ci[1])}], n = ${t.n} ${esc(t.unit === 'seeds' ? 'seeds' : 'seeds (examples resampled within each)')}`)}
${row('unit of replication', esc(t.unit))}
${row('interval', esc(t.interval))}
${row('δ', `${fmtStat(t.delta)}: ${esc(t.deltaReason)}`)}
${row('control', t.control ? esc(t.control) : 'none (the claim compares two trained models directly)')}
${row('rests on', esc(t.settings || 'n/a'))}
${t.flags.length ? row('⚠ floors', esc(t.flags.join('; '))) : ''}
${t.missing ? row('not measured', esc(t.missing)) : ''}
${t.error ? row('not judged', esc(t.error)) : ''}
</tbody></table>`;
}

function finding(f: Finding): string {
  const nums = Object.entries(f.numbers)
    // Numbers align right and never wrap; sentences (e.g. the models' floors) wrap within the page.
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="${typeof v === 'string' ? 'text' : 'num'}">${fmtValue(v)}</td></tr>`)
    .join('');
  const figs = f.figures.map((g) => `<figure>${g.svg}<figcaption>${esc(g.caption)}</figcaption></figure>`).join('');
  return `<section class="finding" id="${esc(f.id)}">
  <h3>${esc(f.id)}${f.verdict ? ` ${badge(f.verdict)}` : ''}${f.test ? ` <span class="short">${esc(f.test.short)}</span>` : ''}</h3>
  <div class="cols"><div><h4>Paper</h4><p>${esc(f.claim)}</p></div><div><h4>Our run</h4><p>${esc(f.ours)}</p></div></div>
  ${f.test ? testBox(f.test) : ''}
  ${nums ? `<details class="numbers"${f.test ? '' : ' open'}><summary>the numbers behind it</summary><table class="numbers"><tbody>${nums}</tbody></table></details>` : ''}
  <div class="figs">${figs}</div>
</section>`;
}

/**
 * A self-contained HTML page (inline CSS and SVG only, no script, no network) that leads with the
 * results: the title, a one-line summary, the verdict table linking to each finding, then the findings;
 * the settings, the adapter and the timings fold away at the end.
 */
export function renderReport(meta: ReportMeta, sections: ReportSection[]): string {
  const settings = Object.entries(meta.settings)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(String(v))}</td></tr>`)
    .join('');
  const judged = sections.flatMap((s) => s.findings).filter((f) => f.verdict && f.test);
  const wall = `${(meta.durationSeconds / 60).toFixed(1)} min${meta.resumedSeconds ? ` this run; the stages took ${((meta.stageSeconds ?? 0) / 60).toFixed(1)} min in all, ${(meta.resumedSeconds / 60).toFixed(1)} of them in earlier runs (--resume)` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(meta.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1180px;margin:1em auto;padding:0 1em;color:#222;line-height:1.4}
h1{margin:.2em 0 .1em;font-size:1.5em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
p.summary{margin:.2em 0 .6em;font-size:1.05em}
table.verdicts{border-collapse:collapse;font-size:.86em;width:100%} table.verdicts th,table.verdicts td{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
table.verdicts th{background:#f4f4f4} td.stat{font-family:ui-monospace,monospace;font-size:.95em;color:#333}
td.num{font-variant-numeric:tabular-nums;text-align:right;white-space:nowrap}
a.flag{color:#b26a00;font-size:.85em;text-decoration:none;white-space:nowrap} span.missing{color:#757575;font-size:.8em} span.error{color:#c62828;font-size:.8em}
p.rule{font-size:.8em;color:#555;margin:.3em 0 1em}
.finding{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;margin:1em 0} .finding h3 .short{font-weight:normal;color:#444;font-size:.9em}
.badge{color:#fff;border-radius:4px;padding:1px 7px;font-size:.78em;vertical-align:middle;white-space:nowrap}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.5em} .cols h4{margin:.3em 0}
table.test{border-collapse:collapse;font-size:.85em;margin:.4em 0;background:#fafafa} table.test th{text-align:left;padding:2px 10px 2px 6px;color:#555;white-space:nowrap;vertical-align:top} table.test td{padding:2px 6px}
table.numbers{border-collapse:collapse;font-size:.85em;margin:.3em 0} table.numbers td{border-bottom:1px solid #eee;padding:2px 12px 2px 0;vertical-align:top} td.text{max-width:760px}
details summary{cursor:pointer;color:#444;font-size:.9em}
.figs{display:flex;flex-wrap:wrap;gap:1em} figure{margin:0} figcaption{font-size:.8em;color:#555;max-width:460px}
.meta td{padding:1px 10px 1px 0;font-size:.9em;color:#444}
</style></head><body>
<h1>${esc(meta.title)}</h1>
<p class="summary">${esc(meta.summary)}</p>
${verdictTable(judged)}
${sections.map((s) => `<h2>${esc(s.paper)}</h2>${s.findings.map(finding).join('\n')}`).join('\n')}
<h2>Settings, adapter and timing</h2>
<details><summary>show</summary>
<table class="meta"><tbody>
<tr><td>generated</td><td>${esc(meta.generated)}</td></tr>
<tr><td>adapter</td><td>${esc(meta.adapter)}</td></tr>
<tr><td>runtime</td><td>${esc(meta.runtime)}</td></tr>
<tr><td>data</td><td>${esc(meta.data)}</td></tr>
<tr><td>wall time</td><td>${wall}</td></tr>
${settings}
</tbody></table>
</details>
<p class="rule">Small models on small data: a finding that does not reproduce here is reported as such, not hidden. Hover a plot mark for its value.</p>
</body></html>
`;
}
