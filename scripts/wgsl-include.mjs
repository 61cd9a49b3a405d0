// WGSL has no include. scripts/gen-shaders.mjs runs every module through expandIncludes first, so
// code that several kernel modules share lives once, in shaders/include/*.wgsl:
//
//   // #include "conv_rows.wgsl"
//
// - A directive is a whole line: optional indent, `//`, `#include`, a quoted file name (letters,
//   digits, `_`, `-`, `.`; ending in .wgsl) and nothing else. Being a comment, it leaves the file
//   valid WGSL for editors and linters. Names resolve in the include folder only, never relative to
//   the including file, and included files may include others.
// - Inclusion is textual: the directive line stays (a comment) and the file's lines follow it.
// - Once per module: a file already included earlier in the module is skipped (its directive line
//   stays, nothing follows it), so two includes that both need a third do not redeclare it.
// - A cycle (a.wgsl includes b.wgsl includes a.wgsl), a missing file or a malformed directive is an
//   error naming the file and line of the directive.
// - Line map: `lines` lists spans { from, file, line }: output line `from` (1-based) and those after
//   it, up to the next span, come from `file` (relative to root, `/`-separated) starting at `line`.
//   The runtime reports WGSL compile errors through it (src/gpu/pipelines.ts), so a message names
//   the include file and line the compiler saw, not the line of the flattened module.
import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';

const DIRECTIVE = /^\s*\/\/\s*#include\b(.*)$/;
const NAME = /^\s*"([A-Za-z0-9_.-]+\.wgsl)"\s*$/;

/**
 * Expand `// #include "name.wgsl"` lines of a WGSL module.
 * @param {string} modulePath the module file
 * @param {{ includeDir: string, root: string }} opts where included names live; what paths in
 *   messages and in the line map are relative to
 * @returns {{ code: string, lines: { from: number, file: string, line: number }[] }}
 */
export function expandIncludes(modulePath, { includeDir, root }) {
  const out = [];
  const lines = [];
  const stack = []; // files being expanded, outermost first (for cycles)
  const done = new Set(); // files already included in this module
  const show = (p) => relative(root, p).split(sep).join('/');

  const emit = (file, line, text) => {
    const last = lines[lines.length - 1];
    const at = out.length + 1;
    if (!last || last.file !== file || last.line + (at - last.from) !== line) lines.push({ from: at, file, line });
    out.push(text);
  };

  const expand = (path, text) => {
    stack.push(path);
    const src = text.split('\n');
    if (src.length > 1 && src[src.length - 1] === '') src.pop(); // the final newline ends the last line
    src.forEach((l, k) => {
      emit(show(path), k + 1, l);
      const m = DIRECTIVE.exec(l);
      if (!m) return;
      const where = `${show(path)}:${k + 1}`;
      const name = NAME.exec(m[1])?.[1];
      if (!name) throw new Error(`${where}: malformed include '${l.trim()}': write // #include "name.wgsl" (a file in ${show(includeDir)}/)`);
      const target = resolve(includeDir, name);
      if (stack.includes(target)) {
        const chain = [...stack.slice(stack.indexOf(target)), target].map(show).join(' -> ');
        throw new Error(`${where}: #include "${name}" makes a cycle: ${chain}`);
      }
      if (done.has(target)) return;
      let inc;
      try {
        inc = readFileSync(target, 'utf8');
      } catch (e) {
        if (e.code === 'ENOENT') throw new Error(`${where}: #include "${name}": there is no ${show(target)}`);
        throw e;
      }
      done.add(target);
      expand(target, inc);
    });
    stack.pop();
  };

  const text = readFileSync(modulePath, 'utf8');
  expand(resolve(modulePath), text);
  // Keep the module's own final newline, so a module without includes comes out byte for byte.
  return { code: out.join('\n') + (text.endsWith('\n') ? '\n' : ''), lines };
}


/** Where line n (1-based) of an expanded module came from: `file:line` (as sourceLine in src/kernels/shader-types.ts). */
export function whereIs(lines, n) {
  const span = lines.findLast((s) => s.from <= n) ?? lines[0];
  return `${span.file}:${span.line + (n - span.from)}`;
}
