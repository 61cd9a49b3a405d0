/**
 * The gradient-masking checks (robust.gradientMaskingChecks, robust.evaluateRobustness) as an HTML
 * table for a report and as plain text for a terminal. A flag must be impossible to miss: in HTML a
 * red banner above the table and a red row; in text a line of its own in capitals. Inline styles
 * only, so the table looks the same in whatever page embeds it.
 */
import { esc } from './svg.js';

/** One check as plain data (the shape of robust's MaskingCheck; `numbers` may hold null after JSON). */
export interface MaskingRow {
  name: string;
  status: 'pass' | 'flag';
  numbers: Record<string, number | null>;
  explanation: string;
}

/** What each check asks, in words. */
const QUESTION: Record<string, string> = {
  'accuracy-falls-with-eps': 'accuracy falls towards 0 at 4ε',
  'iterative-beats-single-step': 'the iterative attack beats one step',
  'white-box-beats-black-box': 'white-box attacks at least as strong as Square (within 1 point)',
  'more-effort-changes-little': 'twice the iterations or restarts change little',
};

const question = (name: string): string => QUESTION[name] ?? name;

const fmt = (v: number | null): string => (v === null || !Number.isFinite(v) ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(4));

const numbers = (r: MaskingRow): string => Object.entries(r.numbers).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');

const flagged = (checks: readonly MaskingRow[]): MaskingRow[] => checks.filter((c) => c.status !== 'pass');

/**
 * The checks as an HTML fragment: a banner (red when any check flags, naming each flagged check;
 * green when all pass) and one row per check with its status, question, numbers and explanation.
 * `null` (checks skipped) renders as a grey note with the reason.
 */
export function maskingTable(checks: readonly MaskingRow[] | null, skipped = 'not run'): string {
  if (checks === null || checks.length === 0) {
    return `<p class="masking-skipped" style="color:#555;font-style:italic">Gradient-masking checks: ${esc(skipped)}.</p>`;
  }
  const bad = flagged(checks);
  const banner = bad.length
    ? `<p class="masking-flag" role="alert" style="background:#c62828;color:#fff;font-weight:bold;padding:6px 10px;border-radius:4px">⚠ GRADIENT MASKING FLAGGED (${bad.length} of ${checks.length} checks): ${bad.map((c) => esc(question(c.name))).join('; ')}. The robust accuracy may be an overestimate.</p>`
    : `<p class="masking-pass" style="background:#e8f5e9;color:#1b5e20;padding:4px 10px;border-radius:4px">All ${checks.length} gradient-masking checks pass.</p>`;
  const rows = checks.map((c) => {
    const isFlag = c.status !== 'pass';
    const style = isFlag ? ' style="background:#ffebee;color:#b71c1c;font-weight:bold"' : '';
    const status = isFlag ? '⚠ FLAG' : 'pass';
    return `<tr class="${isFlag ? 'flag' : 'pass'}"${style}><td>${status}</td><td>${esc(question(c.name))}</td><td style="font-variant-numeric:tabular-nums">${esc(numbers(c))}</td><td>${esc(c.explanation)}</td></tr>`;
  });
  const cell = 'style="text-align:left;padding:3px 8px;border-bottom:1px solid #ddd"';
  return `<div class="masking">${banner}
<table class="masking" style="border-collapse:collapse;font-size:.86em"><thead><tr><th ${cell}>status</th><th ${cell}>check</th><th ${cell}>numbers</th><th ${cell}>what it means</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

/** The checks as terminal lines: one per check, and first a line in capitals for every flag. */
export function maskingText(checks: readonly MaskingRow[] | null, skipped = 'not run'): string[] {
  if (checks === null || checks.length === 0) return [`gradient-masking checks: ${skipped}`];
  const bad = flagged(checks);
  const head = bad.length
    ? bad.map((c) => `!!! GRADIENT MASKING FLAGGED: ${question(c.name)}: ${c.explanation}`)
    : [`gradient-masking checks: all ${checks.length} pass`];
  return [...head, ...checks.map((c) => `  ${c.status === 'pass' ? 'pass' : 'FLAG'}  ${question(c.name)} (${numbers(c)})`)];
}
