import { esc } from './svg.js';

/** One claim of a paper next to what our small-scale run found, with the numbers behind it. */
export interface Finding {
  id: string; // e.g. 'a1' as in methods.md §6
  claim: string; // the paper's statement
  ours: string; // our statement, quoting the numbers
  verdict: 'reproduced' | 'not reproduced' | 'inconclusive';
  numbers: Record<string, number | string | null>;
  figures: { caption: string; svg: string }[];
}

export interface ReportSection {
  paper: string; // e.g. '(a) Cianfarani et al. 2022: representation similarity'
  findings: Finding[];
}

export interface ReportMeta {
  title: string;
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

const BADGE: Record<Finding['verdict'], string> = {
  reproduced: '#2e7d32',
  'not reproduced': '#c62828',
  inconclusive: '#9e9e9e',
};

// A value may be missing (null after a JSON round trip of NaN): shown as n/a, never as a crash.
const fmtValue = (v: number | string | null | undefined): string =>
  v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? 'n/a' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(4)) : esc(v);

function finding(f: Finding): string {
  const nums = Object.entries(f.numbers)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${fmtValue(v)}</td></tr>`)
    .join('');
  const figs = f.figures.map((g) => `<figure>${g.svg}<figcaption>${esc(g.caption)}</figcaption></figure>`).join('');
  return `<section class="finding" id="${esc(f.id)}">
  <h3>${esc(f.id)} <span class="badge" style="background:${BADGE[f.verdict]}">${esc(f.verdict)}</span></h3>
  <div class="cols"><div><h4>Paper</h4><p>${esc(f.claim)}</p></div><div><h4>Our run</h4><p>${esc(f.ours)}</p></div></div>
  ${nums ? `<table class="numbers"><tbody>${nums}</tbody></table>` : ''}
  <div class="figs">${figs}</div>
</section>`;
}

/** A self-contained HTML page: inline CSS and SVG only, no script, no network. */
export function renderReport(meta: ReportMeta, sections: ReportSection[]): string {
  const settings = Object.entries(meta.settings)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(String(v))}</td></tr>`)
    .join('');
  const tally = sections.flatMap((s) => s.findings).reduce<Record<string, number>>((acc, f) => ((acc[f.verdict] = (acc[f.verdict] ?? 0) + 1), acc), {});
  const toc = sections
    .map((s) => `<li>${esc(s.paper)}: ${s.findings.map((f) => `<a href="#${esc(f.id)}">${esc(f.id)}</a> (${esc(f.verdict)})`).join(', ')}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(meta.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
.meta td{padding:1px 10px 1px 0;font-size:.9em;color:#444}
.finding{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.badge{color:#fff;border-radius:4px;padding:1px 8px;font-size:.75em;vertical-align:middle}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.5em} .cols h4{margin:.3em 0}
table.numbers{border-collapse:collapse;font-size:.85em;margin:.5em 0} table.numbers td{border-bottom:1px solid #eee;padding:2px 12px 2px 0}
td.num{font-variant-numeric:tabular-nums;text-align:right}
.figs{display:flex;flex-wrap:wrap;gap:1em} figure{margin:0} figcaption{font-size:.8em;color:#555;max-width:460px}
</style></head><body>
<h1>${esc(meta.title)}</h1>
<table class="meta"><tbody>
<tr><td>generated</td><td>${esc(meta.generated)}</td></tr>
<tr><td>adapter</td><td>${esc(meta.adapter)}</td></tr>
<tr><td>runtime</td><td>${esc(meta.runtime)}</td></tr>
<tr><td>data</td><td>${esc(meta.data)}</td></tr>
<tr><td>wall time</td><td>${(meta.durationSeconds / 60).toFixed(1)} min${meta.resumedSeconds ? ` this run; the stages took ${((meta.stageSeconds ?? 0) / 60).toFixed(1)} min in all, ${(meta.resumedSeconds / 60).toFixed(1)} of them in earlier runs (--resume)` : ''}</td></tr>
${settings}
</tbody></table>
<p>Summary: ${Object.entries(tally).map(([k, v]) => `${v} ${esc(k)}`).join(', ')}. Each finding states the paper's claim, what
this small-scale run measured, and the numbers the statement is based on (hover a plot mark for its value).
Small models on small data: a finding that does not reproduce here is reported as such, not hidden.</p>
<ul>${toc}</ul>
${sections.map((s) => `<h2>${esc(s.paper)}</h2>${s.findings.map(finding).join('\n')}`).join('\n')}
</body></html>
`;
}
