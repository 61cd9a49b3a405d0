// The layer table (scripts/layers.mjs) holds for every import of src/: no arrow up the table, no
// import cycle, no file that no layer claims. The walker itself is checked on small made-up trees.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLayers, describeProblems, importsOf } from '../scripts/check-layers.mjs';
import { LAYERS, layerOf, type Layer } from '../scripts/layers.mjs';

const root = resolve(__dirname, '..');

describe('the layer table of src/', () => {
  it('every file under src/ is claimed, every import points down or sideways, no cycle', () => {
    const r = checkLayers({ root });
    expect(r.files.length).toBeGreaterThan(100);
    expect(r.imports).toBeGreaterThan(300);
    expect(describeProblems(r)).toEqual([]);
  });

  it('follows design.md: root modules at the bottom, the entry points on top', () => {
    expect(LAYERS[0]!.globs).toEqual(['src/errors.ts', 'src/types.ts']);
    const order = ['src/errors.ts', 'src/gpu/device.ts', 'src/kernels/matmul.ts', 'src/backend/types.ts', 'src/tensor.ts', 'src/ops/matmul.ts',
      'src/data/idx.ts', 'src/nn/module.ts', 'src/train/loop.ts', 'src/analysis/cka.ts', 'src/report/html.ts', 'src/study/index.ts', 'src/cli.ts'];
    const layers = order.map(layerOf);
    expect(layers.every((l, i) => l >= 0 && (i === 0 || l > layers[i - 1]!))).toBe(true);
    for (const f of ['src/engine.ts', 'src/autograd/tape.ts', 'src/random.ts', 'src/init.ts']) expect(layerOf(f)).toBe(layerOf('src/tensor.ts'));
    for (const f of ['src/index.ts', 'src/node.ts', 'src/cli/train.ts']) expect(layerOf(f)).toBe(LAYERS.length - 1);
    expect(layerOf('src/nowhere.ts')).toBe(-1);
  });
});

describe('the walker', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rl-layers-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** A made-up tree: files (relative to the root) with their text. */
  function tree(name: string, files: Record<string, string>): string {
    const dir = join(tmp, name);
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    return dir;
  }
  const layers: Layer[] = [
    { name: 'low', holds: '', globs: ['src/low/**'] },
    { name: 'high', holds: '', globs: ['src/high/**', 'src/top.ts'] },
  ];
  const layerIn = (f: string): number => layers.findIndex((l) => l.globs.some((g) => (g.endsWith('/**') ? f.startsWith(g.slice(0, -2)) : f === g)));
  const check = (dir: string) => describeProblems(checkLayers({ root: dir, layers, layerOf: layerIn }), []);

  it('reads every form of import, with its line', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "export * from './c.js';",
      "export { d } from './d.js'; export * as ns from './ns.js';",
      "import './e.js';",
      "import f = require('./f.js');",
      "const g = await import('./g.js');",
      "let h: import('./h.js').H;",
      "// import { no } from './comment.js';",
      "const s = \"import { no } from './string.js'\";",
      "type T = typeof import('./t.js');",
      'const u = () => import(`./u.js`);',
      "const o = { import: (s: string) => s }; o.import('./not-an-import.js');",
    ].join('\n');
    expect(importsOf(text)).toEqual([
      { specifier: './a.js', line: 1 }, { specifier: './b.js', line: 2 }, { specifier: './c.js', line: 3 }, { specifier: './d.js', line: 4 }, { specifier: './ns.js', line: 4 },
      { specifier: './e.js', line: 5 }, { specifier: './f.js', line: 6 }, { specifier: './g.js', line: 7 }, { specifier: './h.js', line: 8 },
      { specifier: './t.js', line: 11 }, { specifier: './u.js', line: 12 },
    ]);
  });

  it('names an upward arrow with the file, the line and the import, also for import type and import() types', () => {
    const dir = tree('up', {
      'src/high/h.ts': 'export const h = 1;\nexport type H = number;\n',
      'src/low/value.ts': "import { h } from '../high/h.js';\nexport const v = h;\n",
      'src/low/type.ts': "\nimport type { H } from '../high/h.js';\nexport type T = H;\n",
      'src/low/inline.ts': "export type I = import('../high/h.js').H;\n",
      'src/top.ts': "import { v } from './low/value.js';\nimport { h } from './high/h.js';\nexport const t = v + h;\n",
    });
    expect(check(dir)).toEqual([
      "src/low/inline.ts:1: imports '../high/h.js' (src/high/h.ts, layer high) from layer low: an arrow up the layer table",
      "src/low/type.ts:2: imports '../high/h.js' (src/high/h.ts, layer high) from layer low: an arrow up the layer table",
      "src/low/value.ts:1: imports '../high/h.js' (src/high/h.ts, layer high) from layer low: an arrow up the layer table",
    ]);
  });

  it('reports a cycle as a chain of files, the whole knot, a file no layer claims, an import of nothing and one outside src/', () => {
    const dir = tree('cycle', {
      'src/low/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/low/b.ts': "import type { C } from './c.js';\nexport const b = 1;\nexport type B = C;\n",
      'src/low/c.ts': "\n\nimport { a } from './a.js';\nimport { d } from './d.js';\nexport type C = typeof a;\nexport const c = d;\n",
      'src/low/d.ts': "import { c } from './c.js';\nexport const d = 1, e = () => c;\n",
      'src/low/self.ts': "import { s } from './self.js';\nexport const s = 1, t = () => s;\n",
      'src/stray.ts': "import { missing } from './low/missing.js';\nexport const x = missing;\n",
      'src/high/out.ts': "import { helper } from '../../scripts/helper.js';\nexport const o = helper;\n",
      'scripts/helper.ts': 'export const helper = 1;\n',
    });
    expect(check(dir)).toEqual([
      'import cycle: src/low/a.ts:1 -> src/low/b.ts:1 -> src/low/c.ts:3 -> src/low/a.ts (the knot holds 4 files: src/low/a.ts, src/low/b.ts, src/low/c.ts, src/low/d.ts)',
      'import cycle: src/low/self.ts:1 -> src/low/self.ts',
      'src/stray.ts: no layer of scripts/layers.mjs claims this file; add it to the layer it belongs to',
      "src/stray.ts:1: import './low/missing.js' resolves to no file",
      "src/high/out.ts:1: imports '../../scripts/helper.js' (scripts/helper.ts), outside src/ and the layer table",
    ]);
  });

  it('passes over a pending arrow, and fails once it is gone so that the entry is deleted', () => {
    const up = tree('pending', {
      'src/high/h.ts': 'export const h = 1;\n',
      'src/low/l.ts': "import { h } from '../high/h.js';\nexport const l = h;\n",
    });
    const pending = [{ from: 'src/low/l.ts', to: 'src/high/h.ts', branch: 'x' }];
    expect(describeProblems(checkLayers({ root: up, layers, layerOf: layerIn }), pending)).toEqual([]);
    const fixed = tree('fixed', { 'src/high/h.ts': 'export const h = 1;\n', 'src/low/l.ts': 'export const l = 1;\n' });
    expect(describeProblems(checkLayers({ root: fixed, layers, layerOf: layerIn }), pending)).toEqual([
      'src/low/l.ts -> src/high/h.ts: listed in PENDING_ARROWS of scripts/layers.mjs but no longer imported; delete the entry',
    ]);
  });
});
