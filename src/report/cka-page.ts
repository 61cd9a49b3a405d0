/**
 * A small self-contained HTML page for one layer × layer CKA matrix (`robustlens cka`): what was
 * compared, the heatmap (inline SVG) and the values as a table with the layer names. Inline CSS
 * and SVG only: no script, no network.
 */
import { heatmapSvg } from './heatmap.js';
import { esc } from './svg.js';

export interface CkaPageInput {
  title: string;
  /** What was compared, as label → value rows (checkpoints, architectures, inputs, data, estimator). */
  about: readonly (readonly [string, string])[];
  /** Row labels (model A's layers) and column labels (model B's). */
  rows: readonly string[];
  cols: readonly string[];
  /** values[i][j]; NaN (or null after JSON) where a layer is dead. */
  values: readonly (readonly (number | null)[])[];
}

const cell = (v: number | null): string => (v === null || !Number.isFinite(v) ? '<td class="dead">dead</td>' : `<td>${v.toFixed(4)}</td>`);

/** The matrix's values with NaN for missing ones (the heatmap draws those hatched). */
const finite = (values: CkaPageInput['values']): number[][] => values.map((r) => r.map((v) => (v === null ? NaN : v)));

/** The SVG heatmap of the page, also written on its own. */
export const ckaSvg = (p: CkaPageInput): string =>
  heatmapSvg({ rows: p.rows, cols: p.cols, values: finite(p.values) }, { title: p.title, rowLabel: 'model A layers', colLabel: 'model B layers' });

export function ckaPage(p: CkaPageInput): string {
  const about = p.about.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n');
  const head = `<tr><th>A \\ B</th>${p.cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = p.rows.map((r, i) => `<tr><th>${esc(r)}</th>${p.values[i]!.map(cell).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(p.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:.85em;margin:1em 0} th{text-align:left;padding:2px 10px 2px 0;font-weight:600}
td{padding:2px 8px;font-variant-numeric:tabular-nums;text-align:right;border-bottom:1px solid #eee} td.dead{color:#999}
table.about td{text-align:left}
</style></head><body>
<h1>${esc(p.title)}</h1>
<table class="about"><tbody>
${about}
</tbody></table>
<figure>${ckaSvg(p)}</figure>
<h2>Values</h2>
<table class="values"><thead>${head}</thead><tbody>
${body}
</tbody></table>
</body></html>
`;
}
