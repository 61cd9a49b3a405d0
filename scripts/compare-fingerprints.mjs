// Compares the determinism fingerprints (test/smoke/fingerprint.js) that the runtimes wrote to
// out/fingerprints/<runtime>-<adapter>.json: every pair, array by array, within the f32 tolerance
// below. Prints the fingerprints found, the groups that are bitwise identical, and a table of the
// largest difference per array and pair; writes the full figures (differing elements, max abs, max
// elementwise rel, normwise rel) to out/fingerprints/differences.md. Exit 1 on any difference beyond
// tolerance, on NaN, on mismatched versions or array sets, or when an expected fingerprint is missing.
//
//   node scripts/compare-fingerprints.mjs [--dir out/fingerprints]
//        [--expect node-lavapipe,node-swiftshader,deno,chromium]  (names or runtime prefixes)
//        [--skip 'deno=Deno is missing'] ...                      (not expected; reported as skipped)
//   node scripts/compare-fingerprints.mjs --bitwise A.json B.json  (two runs on one adapter: every bit)
//
// scripts/test.sh runs both forms in its `determinism` stage.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Tolerance, normwise per array: max_i |a_i − b_i| ≤ TOL · max_i max(|a_i|, |b_i|).
 *
 * Why normwise: after a few training steps an element's rounding error is set by the size of the
 * updates and activations it was accumulated from, not by its own value, so a weight that ends near
 * zero carries the absolute error of its neighbours (measured: elementwise relative differences of
 * the last layer's weights reach 2.2e-5 where the normwise figure is 3.8e-7). Scaling by the array's largest magnitude measures the
 * error in units of that array's float32 resolution, whatever the array is (weights ~0.1, logits
 * ~3, HSIC values ~100).
 *
 * Why 1e-5, from measurements on this workload (the table this script prints):
 * - Node and Deno on lavapipe agree bitwise, as do Node, Deno and Chromium on SwiftShader, although
 *   Node on lavapipe runs the subgroup matmul, conv and Gram kernels and Deno (no 'subgroups'
 *   feature) and SwiftShader (subgroups of 4 lanes, the kernels need 8) the plain ones: every
 *   variant sums in the same order.
 * - Between the two adapters +, ×, /, sqrt and every reduction agree bitwise too; only the
 *   transcendental built-ins round differently (exp ≤ 2 ulp, log and tanh ≤ 4 ulp away from zero,
 *   within WGSL's accuracy bounds). Five training steps, a PGD attack and CKA carry that to a
 *   normwise 3.8e-7 at most (the last linear layer's weights; logits 3.2e-7, CKA 1.1e-7): ~3 ulp of
 *   the array's scale (float32 epsilon is 1.2e-7).
 * - 1e-5 (~84 ulp) leaves 26× headroom for other drivers, compilers and GPUs, yet is tight enough to
 *   see a change of 1e-4 in one hyper-parameter: SGD's lr × 1.0001 moves 8 of the arrays by 1e-5 to
 *   1e-4 normwise (a real kernel error — a wrong index, a missing term — moves them by 1e-3 to 1).
 * - Discrete outputs have no noise to absorb: a PGD success flag that flips, or a pixel whose
 *   gradient sign flips (an α jump), fails the check.
 * - The workload must be well conditioned for this to hold. A conv bias right before batch norm has
 *   a true gradient of 0, and Adam scales its rounding noise up to lr-sized steps: with one (and
 *   learning rates 5× and 2× larger, at which the loss oscillated), lavapipe and SwiftShader differed by 6e-2
 *   normwise on that bias, 3e-3 on the logits, and 204 of 12,544 PGD pixels by up to 2ε. The
 *   fingerprint's CNN therefore has no such bias and a learning rate at which the loss decreases.
 */
export const TOL = 1e-5;
/** Elements smaller than this fraction of the array's scale are left out of the elementwise max rel. */
const REL_FLOOR = 1e-3;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = { dir: join(root, 'out/fingerprints'), expect: ['node-lavapipe', 'node-swiftshader', 'deno', 'chromium'], skip: new Map(), bitwise: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dir') o.dir = argv[++i];
    else if (a === '--expect') o.expect = argv[++i].split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--skip') {
      const [name, ...why] = argv[++i].split('=');
      o.skip.set(name.trim(), why.join('=').trim() || 'skipped');
    } else if (a === '--bitwise') o.bitwise = [argv[++i], argv[++i]];
    else throw new Error(`compare-fingerprints: unknown argument '${a}'`);
  }
  o.expect = o.expect.filter((e) => !o.skip.has(e));
  return o;
}

function load(file) {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  if (doc.format !== 'robustlens-fingerprint') throw new Error(`${file} is not a robustlens fingerprint`);
  // JSON writes NaN and ±Infinity as null: read them back as NaN, which never compares equal.
  for (const k of Object.keys(doc.arrays)) doc.arrays[k] = doc.arrays[k].map((v) => (v === null ? NaN : v));
  return { name: basename(file, '.json'), file, doc };
}

/** Figures of one array in one pair. */
function diff(a, b) {
  const n = a.length;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  let differing = 0;
  let maxAbs = 0;
  let maxRel = 0;
  let nan = false;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) nan = true;
    if (Object.is(a[i], b[i])) continue;
    differing++;
    const d = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, d);
    const m = Math.max(Math.abs(a[i]), Math.abs(b[i]));
    if (m >= REL_FLOOR * scale) maxRel = Math.max(maxRel, d / m);
  }
  const normwise = maxAbs === 0 ? 0 : maxAbs / scale;
  return { n, differing, maxAbs, maxRel, normwise, nan, ok: !nan && normwise <= TOL };
}

/** "node 20.20.2", "deno 2.9.6", "chromium 156.0.0.0" (the page reports its user agent). */
function runtimeLabel(doc) {
  const chrome = /(?:Headless)?Chrome\/([\d.]+)/.exec(doc.runtimeVersion);
  return doc.runtime === 'chromium' && chrome ? `chromium ${chrome[1]}` : doc.runtimeVersion.split(' ').slice(0, 2).join(' ');
}

const e = (v) => (v === 0 ? '0' : v.toExponential(1));

function bitwise([fa, fb]) {
  const [a, b] = [load(fa), load(fb)];
  const problems = [];
  const names = new Set([...Object.keys(a.doc.arrays), ...Object.keys(b.doc.arrays)]);
  let values = 0;
  for (const k of names) {
    const [x, y] = [a.doc.arrays[k], b.doc.arrays[k]];
    if (!x || !y || x.length !== y.length) {
      problems.push(`${k}: present or sized differently (${x?.length ?? 'missing'} vs ${y?.length ?? 'missing'})`);
      continue;
    }
    const d = diff(x, y);
    values += d.n;
    if (d.nan) problems.push(`${k}: NaN`);
    if (d.differing > 0) problems.push(`${k}: ${d.differing} of ${d.n} values differ (max abs ${e(d.maxAbs)})`);
  }
  const what = `${a.doc.runtime} on ${a.doc.adapter}, two runs (${fa} vs ${fb})`;
  if (problems.length > 0) {
    console.error(`determinism: NOT bitwise identical: ${what}\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log(`determinism: bitwise identical: ${what}: ${names.size} arrays, ${values} values`);
  return 0;
}

function compareAll(o) {
  const problems = [];
  const files = existsSync(o.dir) ? readdirSync(o.dir, { withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.json')) : [];
  const rank = (f) => ['node', 'deno', 'chromium'].indexOf(f.doc.runtime) >>> 0;
  const fps = files.map((f) => load(join(o.dir, f.name))).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const labels = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  console.log(`determinism: ${fps.length} fingerprints in ${o.dir}`);
  fps.forEach((f, i) => {
    f.label = labels[i] ?? String(i);
    const ai = f.doc.adapterInfo;
    // The subgroup matmul and conv kernels need subgroups of >= 8 lanes (src/kernels/matmul.ts, conv.ts).
    const sg = ai.subgroupMinSize >= 8 ? `subgroup kernels (min ${ai.subgroupMinSize} lanes)` : ai.subgroupMinSize > 0 ? `plain kernels (subgroups of ${ai.subgroupMinSize} lanes < 8)` : 'plain kernels (no subgroups)';
    const desc = [ai.description || ai.architecture, sg].join(', ');
    console.log(`  ${f.label}  ${f.name.padEnd(22)} ${runtimeLabel(f.doc).padEnd(16)} ${desc}; ${f.doc.ms} ms`);
  });
  for (const [name, why] of o.skip) console.log(`  -  ${name.padEnd(22)} skipped (${why})`);
  const matches = (f, want) => f.name === want || f.name.startsWith(`${want}-`);
  for (const want of o.expect) {
    if (!fps.some((f) => matches(f, want))) problems.push(`expected a fingerprint from ${want}, found none in ${o.dir} (did its stage fail?)`);
  }
  const versions = new Set(fps.map((f) => f.doc.version));
  if (versions.size > 1) problems.push(`fingerprints of different workload versions (${[...versions].join(', ')}): rerun every runtime`);

  const names = [...new Set(fps.flatMap((f) => Object.keys(f.doc.arrays)))];
  const pairs = [];
  for (let i = 0; i < fps.length; i++) for (let j = i + 1; j < fps.length; j++) pairs.push([fps[i], fps[j]]);
  const cells = new Map();
  let worst = null;
  for (const [a, b] of pairs) {
    for (const k of names) {
      const [x, y] = [a.doc.arrays[k], b.doc.arrays[k]];
      const key = `${a.label}-${b.label}`;
      if (!x || !y || x.length !== y.length) {
        problems.push(`${key} ${k}: present or sized differently (${a.name}: ${x?.length ?? 'missing'}, ${b.name}: ${y?.length ?? 'missing'})`);
        cells.set(`${key} ${k}`, null);
        continue;
      }
      const d = diff(x, y);
      cells.set(`${key} ${k}`, d);
      if (d.nan) problems.push(`${key} ${k}: NaN in a fingerprint`);
      else if (!d.ok) problems.push(`${key} (${a.name} vs ${b.name}) ${k}: max |a−b| ${e(d.maxAbs)} = ${e(d.normwise)} of the array's scale, beyond ${TOL}`);
      if (!worst || d.normwise > worst.d.normwise) worst = { key, k, d };
    }
  }

  // Bitwise-identical groups (every array equal in every bit).
  const same = (a, b) => names.every((k) => cells.get(`${a.label}-${b.label} ${k}`)?.differing === 0);
  const groups = [];
  for (const f of fps) {
    const g = groups.find((g) => same(g[0], f));
    if (g) g.push(f);
    else groups.push([f]);
  }
  if (fps.length > 1) console.log(`bitwise identical: ${groups.map((g) => g.map((f) => `${f.label} ${f.name}`).join(' = ')).join('; ')}`);
  console.log(`tolerance: max|a−b| <= ${TOL} · max(|a|, |b|) over each array (normwise; the reason is in this script)`);

  if (pairs.length > 0) {
    // One column per pair of bitwise groups (every pair across two groups has the same figures as
    // the groups' first members); every pair was checked above.
    const cols = [];
    for (let i = 0; i < groups.length; i++) for (let j = i + 1; j < groups.length; j++) cols.push([groups[i], groups[j]]);
    const w = Math.max(...names.map((k) => k.length));
    const tag = (g) => g.map((f) => f.label).join('');
    const cw = Math.max(19, ...cols.map(([g, h]) => `${tag(g)} vs ${tag(h)}`.length + 2));
    if (cols.length === 0) console.log('every fingerprint is bitwise identical to every other');
    else {
      console.log(`\n${'array'.padEnd(w)}  ${'n'.padStart(6)}  ${cols.map(([g, h]) => `${tag(g)} vs ${tag(h)}`.padEnd(cw)).join('')}`);
      for (const k of names) {
        const n = fps.find((f) => f.doc.arrays[k])?.doc.arrays[k].length ?? 0;
        const row = cols.map(([g, h]) => {
          const d = cells.get(`${g[0].label}-${h[0].label} ${k}`);
          const s = d === null ? 'MISSING' : d.nan ? 'NaN' : d.differing === 0 ? '=' : `${e(d.maxAbs)} (${e(d.normwise)})${d.ok ? '' : ' ✗'}`;
          return s.padEnd(cw);
        });
        console.log(`${k.padEnd(w)}  ${String(n).padStart(6)}  ${row.join('')}`);
      }
      console.log(`cell: max |a−b| (normwise: / max|x| of the array); = bitwise identical; ✗ beyond tolerance`);
    }
    if (worst) console.log(`largest normwise difference: ${worst.key} ${worst.k} ${e(worst.d.normwise)} (tolerance ${TOL}${worst.d.normwise > 0 ? `, ${Math.floor(TOL / worst.d.normwise)}× headroom` : ''})`);
    writeFileSync(join(o.dir, 'differences.md'), markdown(fps, pairs, names, cells));
    console.log(`full figures: ${join(o.dir, 'differences.md')}`);
  }

  if (fps.length < 2 && problems.length === 0) problems.push(`only ${fps.length} fingerprint(s): nothing to compare`);
  if (problems.length > 0) {
    console.error(`\ndeterminism: FAILED\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log(`\ndeterminism: ${pairs.length} pairs × ${names.length} arrays within tolerance`);
  return 0;
}

/** Per pair that is not bitwise identical: differing elements, max abs, max elementwise rel, normwise. */
function markdown(fps, pairs, names, cells) {
  const lines = ['# Determinism fingerprints: differences', '', `Tolerance: max|a−b| ≤ ${TOL}·max(|a|, |b|) per array (scripts/compare-fingerprints.mjs).`, ''];
  for (const f of fps) lines.push(`- ${f.label} \`${f.name}\`: ${runtimeLabel(f.doc)}; ${f.doc.adapterInfo.description || f.doc.adapterInfo.architecture}; min subgroup size ${f.doc.adapterInfo.subgroupMinSize}`);
  lines.push('');
  for (const [a, b] of pairs) {
    const key = `${a.label}-${b.label}`;
    const ds = names.map((k) => [k, cells.get(`${key} ${k}`)]);
    lines.push(`## ${key}: ${a.name} vs ${b.name}`, '');
    if (ds.every(([, d]) => d && d.differing === 0)) {
      lines.push('Bitwise identical (every array).', '');
      continue;
    }
    lines.push('| array | n | differing | max abs | max rel (elements ≥ 1e-3 of scale) | normwise |', '|---|---:|---:|---:|---:|---:|');
    for (const [k, d] of ds) {
      if (!d) lines.push(`| ${k} | | missing | | | |`);
      else lines.push(`| ${k} | ${d.n} | ${d.differing} | ${e(d.maxAbs)} | ${e(d.maxRel)} | ${e(d.normwise)}${d.ok ? '' : ' ✗'} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

const o = parseArgs(process.argv.slice(2));
process.exit(o.bitwise ? bitwise(o.bitwise) : compareAll(o));
