// The statistics, the findings, `study merge` and the report are pure functions of saved results: their
// import graph (type-only imports aside, as TypeScript erases them) reaches nothing that touches WebGPU
// or tensors, and the GPU-free study tests call no init(). Read from the source text, so a new import
// that breaks this fails here, not on a machine without an adapter.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = ['src/study/stats.ts', 'src/study/findings/index.ts', 'src/study/merge.ts', 'src/study/report.ts', 'src/study/results.ts'];
const FORBIDDEN = [/^src\/gpu\//, /^src\/kernels\//, /^src\/backend\//, /^src\/(engine|tensor|node|index)\.ts$/, /^src\/ops\//, /^src\/autograd\//, /^src\/nn\//, /^src\/robust\//, /^src\/analysis\/(?!summary|output|minibatch)/];

/** Value imports and re-exports of a module (not `import type` / `export type`), as written. */
function valueImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) if (!m[1]) out.push(m[2]!);
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) out.push(m[1]!);
  return out;
}

function graph(entries: readonly string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of valueImports(readFileSync(join(root, file), 'utf8'))) {
      if (!spec.startsWith('.')) {
        packages.add(spec);
        continue;
      }
      todo.push(relative(root, normalize(join(root, dirname(file), spec.replace(/\.js$/, '.ts')))));
    }
  }
  return { files, packages };
}

describe('the study\'s statistics, findings, merge and report are GPU-free', () => {
  it('import nothing that touches WebGPU or tensors', () => {
    const { files, packages } = graph(ENTRIES);
    expect(files.size).toBeGreaterThan(10);
    expect([...files].filter((f) => FORBIDDEN.some((re) => re.test(f)))).toEqual([]);
    expect([...packages].filter((p) => !p.startsWith('node:'))).toEqual([]);
  });

  it('the checker sees through re-exports and ignores type-only imports', () => {
    expect(valueImports("import type { A } from './a.js';\nimport { B } from './b.js';\nexport { C } from './c.js';\nexport type { D } from './d.js';\nimport {\n  E,\n} from './e.js';"))
      .toEqual(['./b.js', './c.js', './e.js']);
    // A module that does reach the GPU is caught.
    expect([...graph(['src/study/experiments.ts']).files].some((f) => FORBIDDEN.some((re) => re.test(f)))).toBe(true);
  });

  it('the GPU-free study tests call no init() and import no GPU entry point', () => {
    // This file names what it forbids, so it checks the others (its own imports are node: only).
    const tests = readdirSync(join(root, 'test')).filter((f) => /^study-.*\.unit\.test\.ts$/.test(f) && f !== 'study-pure.unit.test.ts');
    expect(tests.length).toBeGreaterThanOrEqual(6);
    for (const f of tests) {
      const text = readFileSync(join(root, 'test', f), 'utf8');
      const code = text.replace(/\/\/.*$/gm, ''); // comments may say "no init()"
      expect(code, f).not.toMatch(/\binit\(|src\/node\.js|src\/index\.js|from 'webgpu'/);
      const local = valueImports(text).filter((s) => s.startsWith('.')).map((s) => relative(root, normalize(join(root, 'test', s.replace(/\.js$/, '.ts')))));
      const reached = graph(local).files;
      expect([...reached].filter((x) => FORBIDDEN.some((re) => re.test(x))), f).toEqual([]);
    }
  });
});
