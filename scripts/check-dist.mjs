// Checks the built package: dist/index.js (the browser / Deno entry, `robustlens`) and every chunk it
// imports, transitively, must not import `webgpu` or any Node built-in (`node:*`, `fs`, ...), and
// every file named in package.json's `exports` must exist. Run after tsup (`npm run build` does).
//   node scripts/check-dist.mjs [dist]
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every static and dynamic import specifier in an ES module's text. */
export function importSpecifiers(code) {
  const out = new Set();
  const patterns = [
    /\bimport\s*(?:[\w*${}\s,]+?\s*from\s*)?["']([^"']+)["']/g, // import x from "y"; import "y"
    /\bexport\s*(?:\*(?:\s*as\s+\w+)?|\{[^}]*\})\s*from\s*["']([^"']+)["']/g, // export ... from "y"
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, // import("y")
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.add(m[1]);
  return [...out];
}

const builtins = new Set(builtinModules);
export function forbidden(spec) {
  if (spec === 'webgpu' || spec.startsWith('webgpu/')) return 'the Dawn package (Node only)';
  if (spec.startsWith('node:') || builtins.has(spec.split('/')[0])) return 'a Node built-in';
  return null;
}

/** Walks the relative imports from `entry`; returns the problems found. */
export function checkBrowserSafe(entry) {
  const problems = [];
  const seen = new Set();
  const stack = [resolve(entry)];
  while (stack.length > 0) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    if (!existsSync(file)) {
      problems.push(`${relative(root, file)} is imported but missing`);
      continue;
    }
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const why = forbidden(spec);
      if (why) problems.push(`${relative(root, file)} imports '${spec}' (${why})`);
      else if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec));
    }
  }
  return { problems, files: seen.size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dist = resolve(process.argv[2] ?? join(root, 'dist'));
  const problems = [];
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    for (const f of Object.values(target)) {
      if (!existsSync(join(root, f))) problems.push(`package.json exports['${key}'] names ${f}, which the build did not write`);
    }
  }
  const { problems: p, files } = checkBrowserSafe(join(dist, 'index.js'));
  problems.push(...p);
  if (problems.length > 0) {
    console.error(`check-dist: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    console.error('check-dist: the `robustlens` entry must run in browsers and Deno; keep Node-only code behind src/node.ts.');
    process.exit(1);
  }
  console.log(`check-dist: dist/index.js and its ${files - 1} chunk(s) import neither webgpu nor node:*; exports present`);
}
