// The masking table of the report and the CLI's masking lines: a flag cannot be missed (a red
// banner naming it, a red row; a line of capitals in text), all-pass says so, skipped says why.
import { describe, expect, it } from 'vitest';
import { maskingTable, maskingText, type MaskingRow } from '../src/report/masking.js';

const pass = (name: string): MaskingRow => ({ name, status: 'pass', numbers: { robustAccuracy: 0.5, eps: 0.1 }, explanation: `${name} <fine>` });
const NAMES = ['accuracy-falls-with-eps', 'iterative-beats-single-step', 'white-box-beats-black-box', 'more-effort-changes-little'];

describe('maskingTable and maskingText', () => {
  it('all pass: a green line, four pass rows, no flag anywhere; text escapes nothing and says all pass', () => {
    const checks = NAMES.map(pass);
    const html = maskingTable(checks);
    expect(html).toMatch(/All 4 gradient-masking checks pass/);
    expect(html.match(/<tr class="pass"/g)).toHaveLength(4);
    expect(html).not.toMatch(/FLAG/);
    expect(html).toContain('&#60;fine&#62;');
    expect(maskingText(checks)[0]).toBe('gradient-masking checks: all 4 pass');
  });

  it.each(NAMES)('a flag of %s: a red alert banner naming it, a red row, and a line in capitals', (name) => {
    const checks = NAMES.map((n) => (n === name ? { ...pass(n), status: 'flag' as const, explanation: 'Square broke 5.0% more' } : pass(n)));
    const html = maskingTable(checks);
    const banner = /<p class="masking-flag" role="alert" style="background:#c62828[^>]*>([^<]*)<\/p>/.exec(html);
    expect(banner, html).not.toBeNull();
    expect(banner![1]).toMatch(/GRADIENT MASKING FLAGGED \(1 of 4 checks\)/);
    expect(html.match(/<tr class="flag" style="background:#ffebee/g)).toHaveLength(1);
    expect(html.indexOf('masking-flag')).toBeLessThan(html.indexOf('<table'));
    const text = maskingText(checks);
    expect(text[0]).toMatch(/^!!! GRADIENT MASKING FLAGGED: .*: Square broke 5\.0% more$/);
    expect(text.filter((l) => l.includes('FLAG ')).length).toBe(1);
  });

  it('skipped or empty checks render the reason; numbers missing after JSON render as n/a', () => {
    expect(maskingTable(null, 'ε = 0: there is nothing to mask')).toMatch(/Gradient-masking checks: ε = 0: there is nothing to mask\./);
    expect(maskingText(null, 'turned off')).toEqual(['gradient-masking checks: turned off']);
    const html = maskingTable([{ ...pass(NAMES[0]!), numbers: { robustAccuracy: null } }]);
    expect(html).toContain('robustAccuracy n/a');
  });
});
