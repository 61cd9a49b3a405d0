// The size budget: no file under src/, test/, bench/ or scripts/ may have more than 400 lines
// (generated files, `*.generated.ts`, are exempt). A file over it has more than one purpose: split
// it by purpose. Files being split on other branches are listed in PENDING until those merge; the
// check fails when a listed file is back within the budget, so the list only shrinks.
//
//   node scripts/check-size.mjs        # exit 1 and one line per file over the budget
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LIMIT = 400;
export const DIRS = ['src', 'test', 'bench', 'scripts'];

/** Over the budget today and being split on another branch (remove each entry when it merges). */
export const PENDING = [];

/** Lines as `wc -l` counts them, plus a last line without a newline. */
export function lineCount(text) {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}

function walk(dir, out) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out; // a folder this checkout does not have
  }
  for (const name of names.sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (!name.endsWith('.generated.ts')) out.push(p);
  }
  return out;
}

/** Every text file under `dirs` of `root` with more than `limit` lines, largest first. */
export function oversized({ root, dirs = DIRS, limit = LIMIT } = {}) {
  const out = [];
  for (const file of dirs.flatMap((d) => walk(join(root, d), []))) {
    const bytes = readFileSync(file);
    if (bytes.subarray(0, 8192).includes(0)) continue; // binary
    const lines = lineCount(bytes.toString('utf8'));
    if (lines > limit) out.push({ file: relative(root, file).split(sep).join('/'), lines });
  }
  return out.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
}

/** The problems: files over the budget that PENDING does not list, and PENDING entries within it. */
export function sizeProblems({ root, dirs = DIRS, limit = LIMIT, pending = PENDING } = {}) {
  const over = oversized({ root, dirs, limit });
  const problems = over
    .filter((o) => !pending.includes(o.file))
    .map((o) => `${o.file}: ${o.lines} lines, over the budget of ${limit}; split it by purpose`);
  for (const p of pending) {
    if (!over.some((o) => o.file === p)) problems.push(`${p}: listed in PENDING of scripts/check-size.mjs but within the budget now; delete the entry`);
  }
  return { problems, pending: over.filter((o) => pending.includes(o.file)) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const { problems, pending } = sizeProblems({ root });
  for (const p of pending) console.log(`check-size: pending split on another branch: ${p.file} (${p.lines} lines)`);
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`check-size: ${problems.length} problem(s); no file under ${DIRS.join('/, ')}/ may exceed ${LIMIT} lines`);
    process.exit(1);
  }
  console.log(`check-size: every file under ${DIRS.join('/, ')}/ has at most ${LIMIT} lines${pending.length ? ` (${pending.length} pending)` : ''}`);
}
