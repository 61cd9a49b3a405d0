// Chromium smoke test: serves the repository from a tiny HTTP server on 127.0.0.1 (an ephemeral
// port; WebGPU needs a secure context, which loopback is), opens test/browser/smoke.html in headless
// Chromium with WebGPU enabled (SwiftShader is the only adapter Chromium offers without a GPU), runs
// the smoke checks of test/smoke/checks.js on dist/index.js, fails on any failed check, console error,
// page error or failed request, and saves a screenshot to out/browser-smoke.png.
// Run: node test/browser/smoke.mjs   (after `npm run build`; scripts/test.sh does both)
// Environment: CHROMIUM (default /usr/bin/chromium).
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json', '.json': 'application/json', '.css': 'text/css', '.png': 'image/png' };

/** Serves files under the repository root (GET only, no directory listing, no escaping the root). */
function serve() {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(root, path);
    if (req.method !== 'GET' || !(file + sep).startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/index.js is missing: run `npm run build` first');
  const problems = [];
  let server;
  let browser;
  try {
    server = await serve();
    const url = `http://127.0.0.1:${server.address().port}/test/browser/smoke.html`;
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      // design.md: WebGPU in headless Chromium needs these two; root needs --no-sandbox.
      args: ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--no-sandbox', '--disable-dev-shm-usage', '--no-first-run'],
    });
    const page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 480 });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    console.log(`browser smoke: ${await browser.version()} at ${url}`);
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
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
      console.log(`browser smoke: ${smoke.results.filter((r) => r.ok).length} passed, ${smoke.results.filter((r) => !r.ok).length} failed; screenshot out/browser-smoke.png`);
    }
  } finally {
    await browser?.close().catch(() => {});
    await new Promise((r) => (server ? server.close(r) : r()));
  }
  return problems;
}

main().then(
  (problems) => {
    if (problems.length > 0) {
      console.error(`browser smoke: FAILED\n  ${problems.join('\n  ')}`);
      process.exit(1);
    }
  },
  (e) => {
    console.error(`browser smoke: FAILED: ${e.stack ?? e}`);
    process.exit(1);
  },
);
