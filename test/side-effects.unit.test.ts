// package.json's `sideEffects` tells bundlers which files do something when they load. It must tell
// the truth: this test reads every module's top-level statements and lists those that act at load
// time (a statement that is not a declaration, or an initializer that assigns, deletes or touches
// a global); the files doing so must be exactly the package's entries that `sideEffects` names.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const GLOBALS = new Set(['globalThis', 'window', 'self', 'process', 'console', 'navigator', 'Object', 'Reflect']);

/** The statements of a module that act when it loads, as "line: text". */
function loadTimeEffects(text: string): string[] {
  const sf = ts.createSourceFile('m.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const report = (n: ts.Node): void => void out.push(`${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: ${n.getText(sf).split('\n')[0]}`);
  /** Effects inside an expression evaluated at load time (function bodies run later: skipped). */
  const scan = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    const assigns = ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment;
    const steps = (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken);
    let callee: ts.Node | null = ts.isCallExpression(n) ? n.expression : null;
    while (callee && ts.isPropertyAccessExpression(callee)) callee = callee.expression;
    const onGlobal = !!callee && ts.isIdentifier(callee) && GLOBALS.has(callee.text) && !(ts.isCallExpression(n) && /^Object\.(keys|values|entries|fromEntries|freeze)$/.test(n.expression.getText(sf)));
    if (assigns || steps || onGlobal || ts.isDeleteExpression(n) || ts.isAwaitExpression(n)) report(n);
    else ts.forEachChild(n, scan);
  };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st) || ts.isFunctionDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st) || ts.isModuleDeclaration(st)) continue;
    if (ts.isVariableStatement(st)) st.declarationList.declarations.forEach((d) => d.initializer && scan(d.initializer));
    else if (ts.isClassDeclaration(st)) st.members.forEach((m) => (ts.isClassStaticBlockDeclaration(m) ? report(m) : ts.isPropertyDeclaration(m) && m.initializer && scan(m.initializer)));
    else report(st);
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('load-time side effects', () => {
  it('are found: hooks filled in, globals patched, statements run; declarations and local objects are not', () => {
    const effects = loadTimeEffects(
      [
        "import { hooks } from './tape.js';",
        'export const cache = new Map<string, number>();',
        'const names = Object.keys({ a: 1 });',
        'export function f(): void { hooks.add = 1; globalThis.x = 2; }',
        'class C { static n = 0; m() { C.n++; } }',
        'hooks.add = f;',
        'if (process.argv[1]) f();',
        'const patched = Object.assign(globalThis, { setImmediate: f });',
        'const before = (hooks.count = 3);',
        'const warn = console.warn("loaded");',
        'class D { static { hooks.d = D; } }',
        'let k = 0; const next = k++;',
        'export type T = number;',
      ].join('\n'),
    );
    expect(effects).toEqual([
      '6: hooks.add = f;',
      '7: if (process.argv[1]) f();',
      '8: Object.assign(globalThis, { setImmediate: f })',
      '9: hooks.count = 3',
      '10: console.warn("loaded")',
      '11: static { hooks.d = D; }',
      '12: k++',
    ]);
  });

  it('happen only in the entries that package.json lists in sideEffects', () => {
    const acting = new Map<string, string[]>();
    for (const f of sources(join(root, 'src'))) {
      const effects = loadTimeEffects(readFileSync(f, 'utf8'));
      if (effects.length > 0) acting.set(relative(root, f).split(sep).join('/'), effects);
    }
    // src/cli.ts runs the command when Node executes it (dist/cli.js, the bin), never on import.
    expect(Object.fromEntries(acting)).toEqual({ 'src/cli.ts': [expect.stringMatching(/^\d+: if \(invokedDirectly\(\)\) \{$/)] });
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const tsup = readFileSync(join(root, 'tsup.config.ts'), 'utf8');
    const entries = [...acting.keys()].map((f) => {
      const m = tsup.match(new RegExp(`(\\w+): '${f}'`));
      expect(m, `${f} acts at load time but is no tsup entry, so its code may land in a shared chunk: move the effect into a function`).not.toBeNull();
      return `./dist/${m![1]}.js`;
    });
    expect(pkg.sideEffects).toEqual(entries);
  });
});
