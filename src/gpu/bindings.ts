import { RobustlensError, ShaderCompileError } from '../errors.js';
import type { BindingInfo, ShaderModuleInfo } from './shader-types.js';
import { uniformWriter, type UniformValues, type UniformWriter } from './uniforms.js';

/**
 * What one entry point binds, by the WGSL names of its variables: its storage buffers and, if it
 * has one, its uniform struct. Built once per entry point; `check` runs on every dispatch, before
 * anything is acquired, so a launcher bug (a missing or misspelt buffer, a bad uniform field)
 * fails with the kernel and the name, and leaks nothing.
 */
export class EntryBindings {
  /** `shader.entry`, the kernel's name in messages and profiles. */
  readonly label: string;
  readonly storage: readonly BindingInfo[];
  readonly uniform: { readonly binding: BindingInfo; readonly writer: UniformWriter } | null;
  private readonly storageNames: ReadonlySet<string>;

  constructor(shader: string, info: ShaderModuleInfo, entry: string) {
    const ep = info.entryPoints[entry];
    if (!ep) throw new ShaderCompileError(`shaders/${shader}.wgsl has no entry point '${entry}'`);
    this.label = `${shader}.${entry}`;
    this.storage = ep.bindings.filter((b) => b.kind !== 'uniform');
    const u = ep.bindings.find((b) => b.kind === 'uniform');
    const layout = u && info.uniforms[u.name];
    if (u && !layout) throw new ShaderCompileError(`shaders/${shader}.wgsl: no layout was reflected for uniform '${u.name}'; run npm run gen`);
    this.uniform = u && layout ? { binding: u, writer: uniformWriter(layout) } : null;
    this.storageNames = new Set(this.storage.map((b) => b.name));
  }

  /**
   * Check the dispatch's buffers and uniform values; returns the uniform's bytes (null when the
   * entry point has no uniform), valid until the next check of any entry with the same struct.
   */
  check(buffers: Readonly<Record<string, GPUBuffer | undefined>>, uniforms: UniformValues | undefined): ArrayBuffer | null {
    for (const b of this.storage) {
      if (!buffers[b.name]) {
        throw new RobustlensError(`${this.label}: no buffer for '${b.name}' (binding ${b.binding}); this kernel binds ${this.bufferNames()}`);
      }
    }
    for (const name in buffers) {
      if (!this.storageNames.has(name)) {
        throw new RobustlensError(`${this.label}: '${name}' is not a storage buffer of this kernel; it binds ${this.bufferNames()}`);
      }
    }
    if (!this.uniform) {
      if (uniforms !== undefined) throw new RobustlensError(`${this.label}: this kernel has no uniform, but the launcher gave uniform values`);
      return null;
    }
    if (uniforms === undefined) {
      throw new RobustlensError(`${this.label}: uniform '${this.uniform.binding.name}' (${this.uniform.writer.layout.struct}) needs its fields; the launcher gave none`);
    }
    return this.uniform.writer.write(uniforms, this.label);
  }

  /** The bind group entries, once `check` passed: storage buffers by name, the uniform buffer. */
  entries(buffers: Readonly<Record<string, GPUBuffer | undefined>>, uniform: GPUBuffer | null): GPUBindGroupEntry[] {
    const out: GPUBindGroupEntry[] = [];
    if (this.uniform && uniform) {
      out.push({ binding: this.uniform.binding.binding, resource: { buffer: uniform, size: this.uniform.writer.layout.size } });
    }
    for (const b of this.storage) out.push({ binding: b.binding, resource: { buffer: buffers[b.name]! } });
    return out;
  }

  private bufferNames(): string {
    return this.storage.map((b) => b.name).join(', ') || 'none';
  }
}

const cache = new WeakMap<ShaderModuleInfo, Map<string, EntryBindings>>();

/** The bindings of `shader.entry`, made on first use. */
export function entryBindings(shader: string, info: ShaderModuleInfo, entry: string): EntryBindings {
  let perModule = cache.get(info);
  if (!perModule) cache.set(info, (perModule = new Map()));
  let b = perModule.get(entry);
  if (!b) perModule.set(entry, (b = new EntryBindings(shader, info, entry)));
  return b;
}
