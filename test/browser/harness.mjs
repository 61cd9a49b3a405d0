// Shared by the Chromium runs (test/browser/smoke.mjs, examples/browser/run.mjs): a static server for
// the repository on 127.0.0.1 (an ephemeral port; loopback is a secure context, which WebGPU needs)
// and a headless Chromium with WebGPU enabled that collects every console error, page error and
// failed request. `withPage` always closes the browser and the server, also on failure.
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
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

/**
 * Open `path` (relative to the repository root) in headless Chromium and run `fn(page, problems)`.
 * `problems` collects console errors, page errors, failed requests and HTTP errors.
 */
export async function withPage(path, viewport, fn) {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/index.js is missing: run `npm run build` first');
  const problems = [];
  let server;
  let browser;
  try {
    server = await serve();
    const url = `http://127.0.0.1:${server.address().port}/${path}`;
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      // design.md: WebGPU in headless Chromium needs these two; root needs --no-sandbox.
      args: ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--no-sandbox', '--disable-dev-shm-usage', '--no-first-run'],
    });
    const page = await browser.newPage();
    await page.setViewport(viewport);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    console.log(`${path}: ${await browser.version()} at ${url}`);
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    await fn(page, problems);
  } finally {
    await browser?.close().catch(() => {});
    await new Promise((r) => (server ? server.close(r) : r()));
  }
  return problems;
}

/** Exit 1 with the problems listed, or 0. */
export function report(name, promise) {
  promise.then(
    (problems) => {
      if (problems.length > 0) {
        console.error(`${name}: FAILED\n  ${problems.join('\n  ')}`);
        process.exit(1);
      }
    },
    (e) => {
      console.error(`${name}: FAILED: ${e.stack ?? e}`);
      process.exit(1);
    },
  );
}
