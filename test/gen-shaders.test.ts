// The `// #include "name.wgsl"` step of scripts/gen-shaders.mjs (scripts/wgsl-include.mjs): textual
// inclusion once per module, clear errors for cycles, missing files and malformed directives, and
// a line map that takes compile errors back to the file and line they came from.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { expandIncludes, whereIs } from '../scripts/wgsl-include.mjs';
import { engine } from '../src/engine.js';
import { ShaderCompileError } from '../src/errors.js';
import { PipelineCache } from '../src/gpu/pipelines.js';
import { shaders } from '../src/gpu/shaders.generated.js';
import { sourceLine, type ShaderModuleInfo } from '../src/gpu/shader-types.js';

const root = mkdtempSync(join(tmpdir(), 'wgsl-include-'));
const includeDir = join(root, 'shaders', 'include');
mkdirSync(includeDir, { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Write shaders/include/NAME (or shaders/NAME with module: true) under the temporary root. */
function put(name: string, lines: string[], module = false): string {
  const path = join(module ? join(root, 'shaders') : includeDir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

const expand = (path: string) => expandIncludes(path, { includeDir, root });

/** Every line of the expanded code, as the map says where it came from: [file, line, text]. */
function traced(r: { code: string; lines: ShaderModuleInfo['lines'] }, name: string): string[][] {
  const info = { code: r.code, lines: r.lines } as ShaderModuleInfo;
  return r.code
    .replace(/\n$/, '')
    .split('\n')
    .map((text, k) => {
      const at = sourceLine(name, info, k + 1);
      return [at.file, String(at.line), text];
    });
}

describe('// #include', () => {
  it('inserts the file after the directive line and maps every line back to its file', () => {
    put('helper.wgsl', ['// helper', 'fn twice(x: f32) -> f32 { return 2.0 * x; }']);
    const m = put('inc_mod.wgsl', ['override WG: u32 = 64;', '// #include "helper.wgsl"', '', '  //#include  "helper.wgsl"  ', 'fn f() {}'], true);
    const r = expand(m);
    expect(r.code).toBe(
      ['override WG: u32 = 64;', '// #include "helper.wgsl"', '// helper', 'fn twice(x: f32) -> f32 { return 2.0 * x; }', '', '  //#include  "helper.wgsl"  ', 'fn f() {}', ''].join('\n'),
    );
    expect(r.lines).toEqual([
      { from: 1, file: 'shaders/inc_mod.wgsl', line: 1 },
      { from: 3, file: 'shaders/include/helper.wgsl', line: 1 },
      { from: 5, file: 'shaders/inc_mod.wgsl', line: 3 },
    ]);
    expect(traced(r, 'inc_mod')).toEqual([
      ['shaders/inc_mod.wgsl', '1', 'override WG: u32 = 64;'],
      ['shaders/inc_mod.wgsl', '2', '// #include "helper.wgsl"'],
      ['shaders/include/helper.wgsl', '1', '// helper'],
      ['shaders/include/helper.wgsl', '2', 'fn twice(x: f32) -> f32 { return 2.0 * x; }'],
      ['shaders/inc_mod.wgsl', '3', ''],
      ['shaders/inc_mod.wgsl', '4', '  //#include  "helper.wgsl"  '],
      ['shaders/inc_mod.wgsl', '5', 'fn f() {}'],
    ]);
    // gen-shaders' own lookup (for wgsl_reflect's parse errors) agrees.
    expect([1, 2, 3, 4, 5, 7].map((n) => whereIs(r.lines, n))).toEqual([
      'shaders/inc_mod.wgsl:1', 'shaders/inc_mod.wgsl:2', 'shaders/include/helper.wgsl:1', 'shaders/include/helper.wgsl:2', 'shaders/inc_mod.wgsl:3', 'shaders/inc_mod.wgsl:5',
    ]);
  });

  it('includes a file once per module, also when two includes both include it', () => {
    put('common.wgsl', ['struct S { a: u32 }']);
    put('left.wgsl', ['// #include "common.wgsl"', 'fn left(s: S) -> u32 { return s.a; }']);
    put('right.wgsl', ['// #include "common.wgsl"', 'fn right(s: S) -> u32 { return s.a + 1u; }']);
    const r = expand(put('twice_mod.wgsl', ['// #include "left.wgsl"', '// #include "right.wgsl"', '// #include "common.wgsl"'], true));
    expect(r.code.match(/struct S/g)).toHaveLength(1);
    expect(r.code).toContain('fn left');
    expect(r.code).toContain('fn right');
    // Each module starts afresh: a second module gets its own copy.
    expect(expand(put('other_mod.wgsl', ['// #include "common.wgsl"'], true)).code).toContain('struct S');
  });

  it('a cycle is an error naming the file and line of the directive that closes it, and the chain', () => {
    put('a.wgsl', ['fn a() {}', '// #include "b.wgsl"']);
    put('b.wgsl', ['', '', '// #include "a.wgsl"']);
    const m = put('cycle_mod.wgsl', ['// #include "a.wgsl"'], true);
    expect(() => expand(m)).toThrow(
      'shaders/include/b.wgsl:3: #include "a.wgsl" makes a cycle: shaders/include/a.wgsl -> shaders/include/b.wgsl -> shaders/include/a.wgsl',
    );
    put('self.wgsl', ['// #include "self.wgsl"']);
    expect(() => expand(put('self_mod.wgsl', ['// #include "self.wgsl"'], true))).toThrow('shaders/include/self.wgsl:1: #include "self.wgsl" makes a cycle');
  });

  it('a missing file or a malformed directive is an error naming the file and line', () => {
    const missing = put('missing_mod.wgsl', ['override WG: u32 = 64;', '', '// #include "nope.wgsl"'], true);
    expect(() => expand(missing)).toThrow('shaders/missing_mod.wgsl:3: #include "nope.wgsl": there is no shaders/include/nope.wgsl');
    for (const bad of ['// #include helper.wgsl', '// #include "../conv.wgsl"', '// #include "helper.wgsl" // why', '// #include "helper.txt"']) {
      const m = put('bad_mod.wgsl', ['fn f() {}', bad], true);
      expect(() => expand(m), bad).toThrow(/^shaders\/bad_mod\.wgsl:2: malformed include/);
    }
  });

  it('a compile error in an included line is reported at that file and line', async () => {
    put('broken.wgsl', ['fn ok() -> u32 { return 1u; }', 'fn broken() -> u32 { return undefined_name; }']);
    const r = expand(put('broken_mod.wgsl', ['override WG: u32 = 64;', '// #include "broken.wgsl"', '@compute @workgroup_size(WG) fn main() { _ = broken(); }'], true));
    const info: ShaderModuleInfo = { code: r.code, lines: r.lines, entryPoints: {}, overrides: ['WG'], uniforms: {} };
    const device = engine.runtime!.device;
    device.pushErrorScope('validation'); // the invalid module is expected: keep it off the shared device's error handler
    const err = await new PipelineCache(device).checkModules({ broken_mod: info }).then(
      () => expect.fail('the module should not compile'),
      (e: Error) => e,
    );
    await device.popErrorScope();
    expect(err).toBeInstanceOf(ShaderCompileError);
    expect(err.message).toContain('WGSL compile error in shaders/broken_mod.wgsl');
    expect(err.message).toMatch(/shaders\/include\/broken\.wgsl:2:\d+: /);
    expect(err.message).toContain('fn broken() -> u32 { return undefined_name; }');
  });
});

describe('the generated modules', () => {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const infos: Record<string, ShaderModuleInfo> = shaders;

  it('map every line of every module to the same text in its source file', () => {
    const files = new Map<string, string[]>();
    const text = (f: string) => files.get(f) ?? files.set(f, readFileSync(join(repo, f), 'utf8').split('\n')).get(f)!;
    for (const [name, info] of Object.entries(infos)) {
      for (const [file, line, code] of traced({ code: info.code, lines: info.lines }, name)) {
        expect(text(file!)[Number(line) - 1], `${name}: ${file}:${line}`).toBe(code);
      }
    }
  });

  it('are the files in shaders/ only; every file in shaders/include/ is used by some module', () => {
    const modules = readdirSync(join(repo, 'shaders')).filter((f) => f.endsWith('.wgsl')).map((f) => f.replace(/\.wgsl$/, ''));
    expect(Object.keys(infos).sort()).toEqual(modules.sort());
    const used = new Set(Object.values(infos).flatMap((i) => (i.lines ?? []).map((s) => s.file)));
    for (const f of readdirSync(join(repo, 'shaders', 'include'))) expect(used, f).toContain(`shaders/include/${f}`);
  });
});
