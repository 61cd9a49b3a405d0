// Runs examples/browser/index.html in headless Chromium (WebGPU on SwiftShader without a GPU),
// checks that the model learned, the attack ran and the CKA heatmap was drawn, with no console
// error and nothing leaked, and saves a screenshot to out/browser-example.png.
// Run: npm run build && node examples/browser/run.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { report, root, withPage } from '../../test/browser/harness.mjs';

report('browser example', withPage('examples/browser/index.html', { width: 1100, height: 900 }, async (page, problems) => {
  await page.waitForFunction(() => globalThis.__example !== undefined, { timeout: 600_000 });
  const r = await page.evaluate(() => globalThis.__example);
  mkdirSync(join(root, 'out'), { recursive: true });
  await page.screenshot({ path: join(root, 'out/browser-example.png'), fullPage: true });
  if (!r.ok) {
    problems.push(`the page failed: ${r.error}`);
    return;
  }
  console.log(`losses ${r.losses.map((v) => v.toFixed(3)).join(' -> ')}, test accuracy ${(100 * r.accuracy).toFixed(1)}%, PGD ${(100 * r.robust).toFixed(1)}%`);
  console.log(`CKA layers: ${r.layers.join(', ')}; memory after: ${JSON.stringify(r.memory)}`);
  if (!(r.losses.at(-1) < r.losses[0])) problems.push('the training loss did not fall');
  if (!(r.accuracy > 0.6)) problems.push(`test accuracy ${r.accuracy} is too low for a trained model`);
  if (!(r.layers.length >= 4)) problems.push('the CKA heatmap has too few layers');
  const diag = r.cka.map((row, i) => row[i]);
  if (!diag.every((v) => Math.abs(v - 1) < 1e-3)) problems.push(`CKA diagonal is not 1: ${diag}`);
  if (r.memory.tensors !== 0 || r.memory.gpuBuffers !== 0) problems.push(`leaked: ${JSON.stringify(r.memory)}`);
  if (!(await page.$('#cka svg'))) problems.push('no heatmap SVG on the page');
  console.log('browser example: ok; screenshot out/browser-example.png');
}));
