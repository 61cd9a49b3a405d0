/** `robustlens info`: the runtime, the WebGPU adapter and driver, features and limits. */
import { init } from '../node.js';
import type { AdapterDescription } from '../gpu/device.js';
import type { Command } from './command.js';

export interface InfoReport extends AdapterDescription {
  /** The Vulkan driver file the loader was pointed at (scripts/gpu-env.sh), if any. */
  vulkanIcd: string | null;
}

export function formatInfo(r: InfoReport): string {
  const width = Math.max(...Object.keys(r.limits).map((k) => k.length));
  const lines = [
    `runtime   ${r.runtime}`,
    `adapter   ${[r.vendor, r.architecture, r.device].filter(Boolean).join(' · ') || '(not reported)'}`,
    `driver    ${r.description || '(not reported)'}`,
    `vulkan    ${r.vulkanIcd ?? '(loader default)'}`,
    `features  ${r.features.join(', ') || '(none)'}`,
    'limits',
    ...Object.entries(r.limits).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ];
  return lines.join('\n');
}

export const info: Command = {
  name: 'info',
  summary: 'print the runtime, the WebGPU adapter, its driver and limits',
  help: `Usage: robustlens info [--json]

Finds a WebGPU adapter the way every other command does and describes it.

Options:
  --json   print one JSON object instead of text`,
  options: { json: { type: 'boolean' } },
  async run(args) {
    // The device stays up: the process exits after the command (and a test may share the engine).
    const engine = await init();
    const report: InfoReport = {
      ...engine.adapter!,
      vulkanIcd: process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES || null,
    };
    console.log(args.values.json ? JSON.stringify(report, null, 2) : formatInfo(report));
    return 0;
  },
};
