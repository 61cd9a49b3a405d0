/** Binding metadata reflected from a WGSL entry point by scripts/gen-shaders.mjs. */
export interface BindingInfo {
  readonly name: string;
  readonly group: number;
  readonly binding: number;
  readonly kind: 'uniform' | 'read-only-storage' | 'storage';
}

export interface ShaderModuleInfo {
  readonly code: string;
  readonly entryPoints: Readonly<Record<string, { readonly bindings: readonly BindingInfo[] }>>;
  readonly overrides: readonly string[];
  readonly uniformSizes: Readonly<Record<string, number>>;
}
