// Checks every import of every file under src/ against the layer table (scripts/layers.mjs):
// an arrow to a higher layer, an import cycle between files, a file no layer claims and a relative
// import that resolves to no file are errors, each named with the file, the line and the import.
// Imports are read with the TypeScript parser: `import`, `import type`, `export … from`,
// `import x = require(…)`, `import('…')` calls and `import('…')` types.
//
//   node scripts/check-layers.mjs        # exit 1 and one line per problem, or one summary line
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { LAYERS, PENDING_ARROWS, layerOf as defaultLayerOf } from './layers.mjs';

/** The module specifiers a TypeScript file imports, with their 1-based lines. */
export function importsOf(text) {
  // A full parse: ts.preProcessFile, the faster scanner, misses `export * as ns from '…'`.
  const sf = ts.createSourceFile('module.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out = [];
  const add = (lit) => {
    if (lit && ts.isStringLiteralLike(lit)) out.push({ specifier: lit.text, line: sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1 });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function listTs(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The file a relative specifier names (`./x.js` is ./x.ts under NodeNext resolution), or null. */
function resolveRelative(fromFile, specifier) {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** One shortest cycle through `start` inside its strongly connected component, as a list of edges. */
function cycleThrough(start, edges, component) {
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const f = queue.shift();
    for (const e of edges.get(f) ?? []) {
      if (!component.has(e.to)) continue;
      if (e.to === start) {
        const chain = [e];
        for (let p = prev.get(f); p; p = prev.get(p.from)) chain.unshift(p);
        return chain;
      }
      if (!prev.has(e.to)) {
        prev.set(e.to, e);
        queue.push(e.to);
      }
    }
  }
  return [];
}

/** Tarjan's strongly connected components, iteratively (no recursion limit on long chains). */
function components(nodes, edges) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  let next = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work = [{ v: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      const out_ = edges.get(top.v) ?? [];
      if (top.i < out_.length) {
        const w = out_[top.i++].to;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v), index.get(w)));
        continue;
      }
      work.pop();
      if (work.length > 0) low.set(work[work.length - 1].v, Math.min(low.get(work[work.length - 1].v), low.get(top.v)));
      if (low.get(top.v) === index.get(top.v)) {
        const c = new Set();
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          c.add(w);
        } while (w !== top.v);
        out.push(c);
      }
    }
  }
  return out;
}

/**
 * Walk every .ts file under `root`/src. Returns the files, the number of imports between them and
 * the problems: `arrows` (to a higher layer), `cycles` (each a chain of imports that returns to its
 * first file, and all files of its strongly connected component), `unclaimed` (files no layer
 * claims), `unresolved` (relative imports of no file) and `outside` (imports of files outside src/).
 */
export function checkLayers({ root, layers = LAYERS, layerOf = defaultLayerOf } = {}) {
  const rel = (p) => relative(root, p).split(sep).join('/');
  const files = listTs(join(root, 'src'));
  const edges = new Map();
  const arrows = [];
  const unclaimed = [];
  const unresolved = [];
  const outside = [];
  let imports = 0;
  for (const file of files) {
    const from = rel(file);
    const fromLayer = layerOf(from);
    if (fromLayer < 0) unclaimed.push(from);
    const list = [];
    for (const { specifier, line } of importsOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue; // packages and node: built-ins
      const target = resolveRelative(file, specifier);
      if (!target) {
        unresolved.push({ from, line, specifier });
        continue;
      }
      const to = rel(target);
      if (!to.startsWith('src/')) {
        outside.push({ from, line, specifier, to });
        continue;
      }
      imports++;
      list.push({ from, to, line, specifier });
      const toLayer = layerOf(to);
      if (fromLayer >= 0 && toLayer > fromLayer) {
        arrows.push({ from, line, specifier, to, fromLayer: layers[fromLayer].name, toLayer: layers[toLayer].name });
      }
    }
    edges.set(from, list);
  }
  const cycles = [];
  for (const c of components([...edges.keys()], edges)) {
    const [first] = [...c].sort();
    const selfLoop = (edges.get(first) ?? []).some((e) => e.to === first);
    if (c.size > 1 || selfLoop) cycles.push({ chain: cycleThrough(first, edges, c), files: [...c].sort() });
  }
  return { files: files.map(rel), imports, arrows, cycles, unclaimed, unresolved, outside };
}

const isPending = (a, pending) => pending.some((p) => p.from === a.from && p.to === a.to);

/**
 * One line per problem, each naming the file, the line and the import. Arrows listed in `pending`
 * are left out; a pending entry that no longer occurs is a problem (delete it).
 */
export function describeProblems(r, pending = PENDING_ARROWS) {
  return [
    ...r.arrows
      .filter((a) => !isPending(a, pending))
      .map((a) => `${a.from}:${a.line}: imports '${a.specifier}' (${a.to}, layer ${a.toLayer}) from layer ${a.fromLayer}: an arrow up the layer table`),
    ...pending
      .filter((p) => !r.arrows.some((a) => a.from === p.from && a.to === p.to))
      .map((p) => `${p.from} -> ${p.to}: listed in PENDING_ARROWS of scripts/layers.mjs but no longer imported; delete the entry`),
    ...r.cycles.map(({ chain, files }) => {
      const all = files.length > chain.length ? ` (the knot holds ${files.length} files: ${files.join(', ')})` : '';
      return `import cycle: ${chain.map((e) => `${e.from}:${e.line}`).join(' -> ')} -> ${chain[0].from}${all}`;
    }),
    ...r.unclaimed.map((f) => `${f}: no layer of scripts/layers.mjs claims this file; add it to the layer it belongs to`),
    ...r.unresolved.map((u) => `${u.from}:${u.line}: import '${u.specifier}' resolves to no file`),
    ...r.outside.map((o) => `${o.from}:${o.line}: imports '${o.specifier}' (${o.to}), outside src/ and the layer table`),
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const r = checkLayers({ root });
  const problems = describeProblems(r);
  const pending = r.arrows.filter((x) => isPending(x, PENDING_ARROWS));
  for (const a of pending) console.log(`check-layers: pending on another branch: ${a.from}:${a.line} -> ${a.to}`);
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`check-layers: ${problems.length} problem(s) in ${r.files.length} files under src/ (layer table: scripts/layers.mjs)`);
    process.exit(1);
  }
  console.log(`check-layers: ${r.files.length} files, ${r.imports} imports under src/: every arrow points down the layer table${pending.length ? ` but ${pending.length} pending` : ''}, no cycle`);
}
