// The package's shape: the browser/Deno entry never reaches Node-only code, and the exports map
// names the entries the build writes. (scripts/check-dist.mjs checks the built dist/ the same way.)
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');

function specifiers(code: string): string[] {
  const res = [
    /\bimport\s+(?!type\b)(?:[\w*${}\s,]+?\s+from\s+)?["']([^"']+)["']/g,
    /\bexport\s+(?!type\b)(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return res.flatMap((re) => [...code.matchAll(re)].map((m) => m[1]!));
}

/** Files reachable from `entry` through value imports, and the forbidden imports among them. */
function walk(entry: string): { files: Set<string>; bad: string[] } {
  const files = new Set<string>();
  const bad: string[] = [];
  const stack = [entry];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const s of specifiers(readFileSync(f, 'utf8'))) {
      if (s === 'webgpu' || s.startsWith('node:') || builtinModules.includes(s.split('/')[0]!)) bad.push(`${relative(root, f)} -> ${s}`);
      else if (s.startsWith('.')) stack.push(resolve(dirname(f), s.replace(/\.js$/, '.ts')));
    }
  }
  return { files, bad };
}

describe('package layout', () => {
  it('src/index.ts reaches neither webgpu nor node:* (browsers and Deno import it)', () => {
    const { files, bad } = walk(join(root, 'src/index.ts'));
    expect(files.size).toBeGreaterThan(10);
    expect(bad).toEqual([]);
  });

  it('the walker does see Node-only imports (src/node.ts and the CLI have them)', () => {
    expect(walk(join(root, 'src/node.ts')).bad).toContain('src/node.ts -> webgpu');
    expect(walk(join(root, 'src/cli.ts')).bad.some((b) => b.includes('node:util'))).toBe(true);
  });

  it('exports map: "." and "./node" with types, ESM, a bin (sideEffects: side-effects.unit.test.ts)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.exports)).toEqual(['.', './node']);
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.exports['./node']).toEqual({ types: './dist/node.d.ts', default: './dist/node.js' });
    expect(pkg.bin.robustlens).toBe('./dist/cli.js');
    expect(pkg.files).toContain('dist');
    // The tsup entries are the files the exports map names.
    const tsup = readFileSync(join(root, 'tsup.config.ts'), 'utf8');
    for (const e of ['src/index.ts', 'src/node.ts', 'src/cli.ts']) {
      expect(tsup).toContain(e);
      expect(existsSync(join(root, e))).toBe(true);
    }
  });
});
