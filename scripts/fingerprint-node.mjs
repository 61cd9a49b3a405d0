// Writes the determinism fingerprint (test/smoke/fingerprint.js) of Node + Dawn on the adapter that
// scripts/gpu-env.sh picked, to out/fingerprints/node-<adapter>.json (or to --out FILE).
//   source scripts/gpu-env.sh && node scripts/fingerprint-node.mjs
//   ROBUSTLENS_ADAPTER=swiftshader bash -c 'source scripts/gpu-env.sh && node scripts/fingerprint-node.mjs'
// Needs the build (dist/node.js). scripts/test.sh runs it in its `determinism` stage.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as rl from '../dist/node.js';
import { fingerprint, fingerprintDocument } from '../test/smoke/fingerprint.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--out');
const engine = await rl.init();
let code = 0;
try {
  if (!engine.adapter) throw new Error('init() found no WebGPU adapter');
  const doc = fingerprintDocument('node', engine, await fingerprint(rl));
  const file = i > 0 ? process.argv[i + 1] : join(root, 'out/fingerprints', `node-${doc.adapter}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(doc)}\n`);
  const n = Object.values(doc.arrays).reduce((s, a) => s + a.length, 0);
  console.log(`fingerprint: node on ${doc.adapter} (${engine.adapter.description}), ${Object.keys(doc.arrays).length} arrays, ${n} values, ${doc.ms} ms -> ${file}`);
} catch (e) {
  console.error(`fingerprint-node: FAILED: ${e.stack ?? e}`);
  code = 1;
} finally {
  rl.shutdown();
}
// dawn.node keeps the event loop alive; leave explicitly.
process.exit(code);
