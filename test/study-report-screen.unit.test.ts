// The report's first screen in headless Chromium (issue 17 item 5): at 1280 × 800 the title, the
// one-line summary and the whole verdict table are visible without scrolling. The page and a screenshot
// of that first screen are saved to out/ for a person to look at. GPU-free: the report has no script,
// so Chromium needs no WebGPU here. Skipped (and says so) only where Chromium is missing.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { judgeAll } from '../src/study/findings/index.js';
import { studyReportHtml } from '../src/study/report.js';
import { syntheticResults } from './helpers/study-synthetic.js';

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREEN = { width: 1280, height: 800 };

describe('the study report in headless Chromium', () => {
  it.skipIf(!existsSync(chromium))(`shows the whole verdict table on the first screen (${SCREEN.width} × ${SCREEN.height})`, async () => {
    const results = syntheticResults();
    const html = studyReportHtml(results, judgeAll(results), '2026-01-01T00:00:00Z');
    mkdirSync('out', { recursive: true });
    writeFileSync('out/study-report-synthetic.html', html);
    const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(String(e)));
      await page.setViewport(SCREEN);
      await page.setContent(html, { waitUntil: 'load' });
      await page.screenshot({ path: 'out/study-report-first-screen.png' });
      const box = (sel: string) => page.$eval(sel, (el) => {
        const r = el.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
      });
      const rows = await page.$$eval('table.verdicts tbody tr', (rs) => rs.map((r) => ({ id: r.querySelector('a')?.textContent, bottom: r.getBoundingClientRect().bottom })));
      expect(rows.map((r) => r.id)).toEqual(judgeAll(results).records.map((r) => r.id));
      for (const sel of ['h1', 'p.summary', 'table.verdicts']) {
        const b = await box(sel);
        expect(b.top, sel).toBeGreaterThanOrEqual(0);
        expect(b.bottom, sel).toBeLessThanOrEqual(SCREEN.height);
        expect(b.right, sel).toBeLessThanOrEqual(SCREEN.width);
      }
      expect(Math.max(...rows.map((r) => r.bottom))).toBeLessThanOrEqual(SCREEN.height);
      // Nothing scrolls sideways, and the page loads nothing and runs nothing.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(SCREEN.width);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
