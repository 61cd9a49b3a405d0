// Chromium smoke test: serves the repository from a tiny HTTP server on 127.0.0.1 (an ephemeral
// port; WebGPU needs a secure context, which loopback is), opens test/browser/smoke.html in headless
// Chromium with WebGPU enabled (SwiftShader is the only adapter Chromium offers without a GPU), runs
// the smoke checks of test/smoke/checks.js on dist/index.js, fails on any failed check, console error,
// page error or failed request, and saves a screenshot to out/browser-smoke.png. The page also runs
// the determinism fingerprint (test/smoke/fingerprint.js); this side writes it to
// out/fingerprints/chromium-<adapter>.json for scripts/compare-fingerprints.mjs.
// Run: node test/browser/smoke.mjs   (after `npm run build`; scripts/test.sh does both)
// Environment: CHROMIUM (default /usr/bin/chromium).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { report, root, withPage } from './harness.mjs';

async function main() {
  return withPage('test/browser/smoke.html', { width: 1000, height: 480 }, async (page, problems) => {
    await page.waitForFunction(() => globalThis.__smoke !== undefined, { timeout: 180_000 });
    const smoke = await page.evaluate(() => globalThis.__smoke);
    mkdirSync(join(root, 'out'), { recursive: true });
    await page.screenshot({ path: join(root, 'out/browser-smoke.png'), fullPage: true });
    if (smoke.error) problems.push(`the page failed: ${smoke.error}`);
    else {
      const a = smoke.adapter;
      console.log(`adapter: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' · ')} (${a.runtime.split(' ')[0]})`);
      for (const r of smoke.results) {
        console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? `: ${r.detail}` : ''}`);
        if (!r.ok) problems.push(`check failed: ${r.name}`);
      }
      if (smoke.results.length < 7) problems.push(`only ${smoke.results.length} checks ran`);
      const fp = smoke.fingerprint;
      if (!fp || fp.error) problems.push(`the determinism fingerprint failed: ${fp?.error ?? 'the page returned none'}`);
      else {
        const file = join(root, 'out/fingerprints', `chromium-${fp.document.adapter}.json`);
        mkdirSync(join(root, 'out/fingerprints'), { recursive: true });
        writeFileSync(file, `${JSON.stringify(fp.document)}\n`);
        console.log(`fingerprint: chromium on ${fp.document.adapter}, ${Object.keys(fp.document.arrays).length} arrays, ${fp.document.ms} ms -> ${file}`);
      }
      console.log(`browser smoke: ${smoke.results.filter((r) => r.ok).length} passed, ${smoke.results.filter((r) => !r.ok).length} failed; screenshot out/browser-smoke.png`);
    }
  });
}

report('browser smoke', main());
