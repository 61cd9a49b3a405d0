/// <reference lib="deno.ns" />
// Deno smoke run: the built package (dist/index.js, `npm run build`) on Deno's own WebGPU. Ops and
// gradients are compared with the float64 CPU backend (test/smoke/checks.js), then Deno's
// determinism fingerprint is written to out/fingerprints/deno-<adapter>.json for
// scripts/compare-fingerprints.mjs (the `determinism` stage of scripts/test.sh).
//
//   npx deno run --check --allow-all test/deno/smoke.ts                     (scripts/test.sh does, after vitest)
//   npx deno run --check --allow-all test/deno/smoke.ts --fingerprint-only  (the determinism stage, on SwiftShader)
//
// A plain `deno run` script rather than `deno test`: under Deno 2.9's test runner the process
// aborted at exit in 3 of 22 runs on lavapipe ("corrupted size vs. prev_size", after every test
// had passed); the same work under `deno run` did not crash once in 38 runs. Exit code 1 on any failure.
// @ts-types="../../dist/index.d.ts"
import * as rl from '../../dist/index.js';
import { runSmoke } from '../smoke/checks.js';
import { fingerprint, fingerprintDocument } from '../smoke/fingerprint.js';

async function smoke(): Promise<string[]> {
  const { adapter } = await rl.init();
  try {
    if (!adapter) return ['init() found no WebGPU adapter'];
    if (!adapter.runtime.startsWith('deno')) return [`runtime reported as '${adapter.runtime}', expected deno`];
    console.log(`adapter: ${adapter.description || adapter.device} (${adapter.runtime})`);
    const results = await runSmoke(rl);
    for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? `: ${r.detail}` : ''}`);
    const failed = results.filter((r) => !r.ok).map((r) => `smoke check failed: ${r.name}`);
    return results.length < 7 ? [...failed, `only ${results.length} smoke checks ran`] : failed;
  } finally {
    rl.shutdown();
  }
}

async function writeFingerprint(): Promise<string[]> {
  const engine = await rl.init();
  try {
    if (!engine.adapter) return ['init() found no WebGPU adapter'];
    const doc = fingerprintDocument('deno', engine, await fingerprint(rl));
    const dir = new URL('../../out/fingerprints/', import.meta.url);
    await Deno.mkdir(dir, { recursive: true });
    const file = new URL(`deno-${doc.adapter}.json`, dir);
    await Deno.writeTextFile(file, `${JSON.stringify(doc)}\n`);
    console.log(`fingerprint: deno on ${doc.adapter} (${engine.adapter.description}), ${Object.keys(doc.arrays).length} arrays, ${doc.ms} ms -> ${file.pathname}`);
    return [];
  } finally {
    rl.shutdown();
  }
}

const problems: string[] = [];
for (const [name, step] of [['smoke', smoke], ['fingerprint', writeFingerprint]] as const) {
  if (name === 'smoke' && Deno.args.includes('--fingerprint-only')) continue;
  try {
    problems.push(...(await step()));
  } catch (e) {
    problems.push(`${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}
for (const p of problems) console.error(`FAIL ${p}`);
console.log(`deno smoke: ${problems.length === 0 ? 'ok' : `${problems.length} problem(s)`}`);
Deno.exit(problems.length === 0 ? 0 : 1);
