/// <reference lib="deno.ns" />
// Deno smoke test: the built package (dist/index.js, `npm run build`) on Deno's own WebGPU.
// Run: npx deno test --allow-all test/deno/smoke.test.ts   (scripts/test.sh does, after vitest)
// The second test writes Deno's determinism fingerprint to out/fingerprints/deno-<adapter>.json for
// scripts/compare-fingerprints.mjs (the `determinism` stage of scripts/test.sh).
// @ts-types="../../dist/index.d.ts"
import * as rl from '../../dist/index.js';
import { runSmoke } from '../smoke/checks.js';
import { fingerprint, fingerprintDocument } from '../smoke/fingerprint.js';

Deno.test('robustlens on Deno WebGPU: ops and gradients match the CPU backend, nothing leaks', async () => {
  const { adapter } = await rl.init();
  try {
    if (!adapter) throw new Error('init() found no WebGPU adapter');
    if (!adapter.runtime.startsWith('deno')) throw new Error(`runtime reported as '${adapter.runtime}', expected deno`);
    console.log(`adapter: ${adapter.description || adapter.device} (${adapter.runtime})`);
    const results = await runSmoke(rl);
    for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? `: ${r.detail}` : ''}`);
    const failed = results.filter((r) => !r.ok);
    if (results.length < 7 || failed.length > 0) {
      throw new Error(`${failed.length} of ${results.length} smoke checks failed: ${failed.map((r) => r.name).join('; ')}`);
    }
  } finally {
    rl.shutdown();
  }
});

Deno.test('robustlens on Deno WebGPU: determinism fingerprint written to out/fingerprints', async () => {
  const engine = await rl.init();
  try {
    if (!engine.adapter) throw new Error('init() found no WebGPU adapter');
    const doc = fingerprintDocument('deno', engine, await fingerprint(rl));
    const dir = new URL('../../out/fingerprints/', import.meta.url);
    await Deno.mkdir(dir, { recursive: true });
    const file = new URL(`deno-${doc.adapter}.json`, dir);
    await Deno.writeTextFile(file, `${JSON.stringify(doc)}\n`);
    console.log(`fingerprint: deno on ${doc.adapter} (${engine.adapter.description}), ${Object.keys(doc.arrays).length} arrays, ${doc.ms} ms -> ${file.pathname}`);
  } finally {
    rl.shutdown();
  }
});
