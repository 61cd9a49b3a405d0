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

/**
 * One field of a uniform struct, reflected by scripts/wgsl-layout.mjs: `count` elements (1 unless
 * the field is an array) of `components` values of `kind` (1 for a scalar, N for vecN), element e
 * starting at byte `offset + e * stride`. Fields named `_...` are padding.
 */
export interface UniformField {
  readonly name: string;
  readonly offset: number;
  /** The WGSL type, for messages: 'u32', 'vec4f', 'array<vec4u, 2>'. */
  readonly type: string;
  readonly kind: 'u32' | 'i32' | 'f32';
  readonly components: number;
  readonly count: number;
  readonly stride: number;
}

/** The byte layout of a uniform struct: its WGSL name, size (bytes) and fields in order. */
export interface UniformLayout {
  readonly struct: string;
  readonly size: number;
  readonly fields: readonly UniformField[];
}

export interface ShaderModuleInfo {
  readonly code: string;
  readonly entryPoints: Readonly<Record<string, { readonly bindings: readonly BindingInfo[] }>>;
  readonly overrides: readonly string[];
  /** Uniform struct layouts by the variable's name (`var<uniform> NAME: Struct`). */
  readonly uniforms: Readonly<Record<string, UniformLayout>>;
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
