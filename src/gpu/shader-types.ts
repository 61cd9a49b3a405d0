/** Binding metadata reflected from a WGSL entry point by scripts/gen-shaders.mjs. */
export interface BindingInfo {
  readonly name: string;
  readonly group: number;
  readonly binding: number;
  readonly kind: 'uniform' | 'read-only-storage' | 'storage';
}

/**
 * Where a module's lines come from once its `// #include`s are expanded (scripts/wgsl-include.mjs):
 * line `from` (1-based) of `code` and the lines after it, up to the next span, are lines `line`,
 * `line + 1`, ... of `file` (a path such as shaders/include/conv_rows.wgsl).
 */
export interface SourceSpan {
  readonly from: number;
  readonly file: string;
  readonly line: number;
}

export interface ShaderModuleInfo {
  readonly code: string;
  readonly entryPoints: Readonly<Record<string, { readonly bindings: readonly BindingInfo[] }>>;
  readonly overrides: readonly string[];
  readonly uniformSizes: Readonly<Record<string, number>>;
  /** The line map of `code`; without it, line n is line n of shaders/NAME.wgsl. */
  readonly lines?: readonly SourceSpan[];
}

/** The source file and line of line `n` (1-based) of module `name`'s expanded code. */
export function sourceLine(name: string, info: ShaderModuleInfo, n: number): { file: string; line: number } {
  let span: SourceSpan | undefined;
  for (const s of info.lines ?? []) {
    if (s.from > n) break;
    span = s;
  }
  return span ? { file: span.file, line: span.line + (n - span.from) } : { file: `shaders/${name}.wgsl`, line: n };
}
