import { ShaderCompileError } from '../errors.js';
import { sourceLine, type ShaderModuleInfo } from './shader-types.js';

/** FNV-1a, 52 bits: enough to key pipelines by the text that is actually compiled. */
export function hashText(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

export type Overrides = Readonly<Record<string, number>>;

interface Compiled {
  module: GPUShaderModule;
  hash: string;
  layouts: Map<string, GPUBindGroupLayout>;
}

/**
 * Compiles shader modules and caches compute pipelines. A pipeline's key is the hash of its WGSL
 * source plus its entry point and sorted override constants; nothing hand-assembled.
 */
export class PipelineCache {
  private readonly modules = new Map<string, Compiled>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  compiles = 0;

  constructor(private readonly device: GPUDevice) {}

  /**
   * Compile every module once and raise the first WGSL error with its shader, line and text. The
   * compiler counts lines of the expanded module; the message names the file and line they came
   * from (an include under shaders/include/ where the line is one of its lines).
   */
  async checkModules(infos: Readonly<Record<string, ShaderModuleInfo>>): Promise<void> {
    for (const [name, info] of Object.entries(infos)) {
      // A module that enables an optional feature (subgroups) compiles only where the device has it;
      // its launcher checks the feature before using it.
      if (/^\s*enable\s+subgroups\s*;/m.test(info.code) && !this.device.features.has('subgroups')) continue;
      const { module } = this.module(name, info);
      const ci = await module.getCompilationInfo();
      const errors = ci.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) {
        const lines = info.code.split('\n');
        const text = errors
          .map((m) => {
            const at = sourceLine(name, info, m.lineNum);
            return `${at.file}:${at.line}:${m.linePos}: ${m.message}\n    ${lines[m.lineNum - 1] ?? ''}`;
          })
          .join('\n');
        throw new ShaderCompileError(`WGSL compile error in shaders/${name}.wgsl:\n${text}`);
      }
    }
  }

  private module(name: string, info: ShaderModuleInfo): Compiled {
    let m = this.modules.get(name);
    if (!m) {
      m = { module: this.device.createShaderModule({ code: info.code, label: name }), hash: hashText(info.code), layouts: new Map() };
      this.modules.set(name, m);
    }
    return m;
  }

  layout(name: string, info: ShaderModuleInfo, entry: string): GPUBindGroupLayout {
    const m = this.module(name, info);
    let layout = m.layouts.get(entry);
    if (!layout) {
      const ep = info.entryPoints[entry];
      if (!ep) throw new ShaderCompileError(`shaders/${name}.wgsl has no entry point '${entry}'`);
      layout = this.device.createBindGroupLayout({
        label: `${name}.${entry}`,
        entries: ep.bindings.map((b) => ({
          binding: b.binding,
          visibility: 0x4 /* COMPUTE */,
          buffer: { type: b.kind },
        })),
      });
      m.layouts.set(entry, layout);
    }
    return layout;
  }

  get(name: string, info: ShaderModuleInfo, entry: string, overrides: Overrides): GPUComputePipeline {
    const m = this.module(name, info);
    const keys = Object.keys(overrides).sort();
    const key = `${m.hash}:${entry}:${keys.map((k) => `${k}=${overrides[k]}`).join(',')}`;
    let p = this.pipelines.get(key);
    if (!p) {
      for (const k of keys) {
        if (!info.overrides.includes(k)) throw new ShaderCompileError(`shaders/${name}.wgsl has no override '${k}'`);
      }
      p = this.device.createComputePipeline({
        label: `${name}.${entry}`,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(name, info, entry)] }),
        compute: { module: m.module, entryPoint: entry, constants: { ...overrides } },
      });
      this.pipelines.set(key, p);
      this.compiles++;
    }
    return p;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
