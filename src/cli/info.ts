/** `robustlens info`: the runtime, the WebGPU adapter and driver, the adapters it can see, features and limits. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { init, nodeAdapter } from '../node.js';
import { DRIVER_FILES } from '../gpu/adapter-choice.js';
import type { AdapterDescription } from '../gpu/device.js';
import { measureFmaCeiling, type FmaCeiling } from '../kernels/ceiling.js';
import { flag } from './args.js';
import type { Command } from './command.js';

/** One Vulkan driver robustlens can be pointed at (ROBUSTLENS_ADAPTER / init({ adapter })). */
export interface AdapterSeen {
  name: 'lavapipe' | 'swiftshader' | 'system';
  /** Its driver file; null for 'system' (the Vulkan loader's own search). */
  driver: string | null;
  /** Whether the driver file exists ('system': always). */
  present: boolean;
  /** Whether this process's engine runs on it. */
  inUse: boolean;
  /** What Dawn finds with it, asked in a child process; null when the driver file is missing. */
  found: { adapter: string } | { error: string } | null;
}

export interface InfoReport extends AdapterDescription {
  /** The adapter choice in effect (auto, lavapipe, swiftshader, system). */
  adapterChoice: string;
  /** The Vulkan driver file the loader was pointed at, if any. */
  vulkanIcd: string | null;
  adapters: AdapterSeen[];
  /** The adapter's measured FMA ceiling (src/kernels/ceiling.ts, about one second); null with --no-ceiling. */
  fmaCeiling: FmaCeiling | null;
}

// A child process asks Dawn for an adapter under the environment it is given (argv[1]: the URL
// of the `webgpu` package) and prints its name as JSON, or null.
const PROBE = `const { create } = await import(process.argv[1]);
const gpu = create([]);
globalThis.keepGpu = gpu;
const a = await gpu.requestAdapter();
process.stdout.write(JSON.stringify(a ? a.info.description || a.info.device || a.info.vendor : null));
process.exit(0);`;

const PROBE_TIMEOUT_MS = 30_000;

function probe(driver: string | null): Promise<AdapterSeen['found']> {
  const env: Record<string, string | undefined> = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp' };
  delete env.VK_DRIVER_FILES;
  delete env.VK_ICD_FILENAMES;
  if (driver) env.VK_DRIVER_FILES = env.VK_ICD_FILENAMES = driver;
  const webgpu = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE, webgpu], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ error: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        const name = JSON.parse(out) as string | null;
        resolve(name ? { adapter: name } : { error: 'Dawn found no adapter' });
      } catch {
        // Dawn's start-up warnings are not errors; the last other line says what went wrong.
        const why = err.split('\n').filter((l) => l.trim() && !l.startsWith('Warning: maxDynamic')).at(-1);
        resolve({ error: signal ? `no answer in ${PROBE_TIMEOUT_MS / 1000} s` : why ?? `exit code ${code}` });
      }
    });
  });
}

/** The software drivers and the system's own, each probed in a child process (in parallel). */
export async function listAdapters(): Promise<AdapterSeen[]> {
  const inUse = nodeAdapter()?.driver;
  const candidates: { name: AdapterSeen['name']; driver: string | null }[] = [
    { name: 'lavapipe', driver: DRIVER_FILES.lavapipe },
    { name: 'swiftshader', driver: DRIVER_FILES.swiftshader },
    { name: 'system', driver: null },
  ];
  return Promise.all(
    candidates.map(async ({ name, driver }) => {
      const present = driver === null || existsSync(driver);
      return { name, driver, present, inUse: inUse !== undefined && inUse === driver, found: present ? await probe(driver) : null };
    }),
  );
}

export function formatInfo(r: InfoReport): string {
  const width = Math.max(...Object.keys(r.limits).map((k) => k.length));
  const drivers = Math.max(...r.adapters.map((a) => (a.driver ?? '(loader default)').length));
  const lines = [
    `runtime   ${r.runtime}`,
    `adapter   ${[r.vendor, r.architecture, r.device].filter(Boolean).join(' · ') || '(not reported)'}`,
    `driver    ${r.description || '(not reported)'}`,
    `vulkan    ${r.vulkanIcd ?? '(loader default)'} (adapter choice: ${r.adapterChoice})`,
    `ceiling   ${r.fmaCeiling ? `${r.fmaCeiling.gflops.toFixed(1)} GFLOP/s, FMA-bound kernel (best of ${r.fmaCeiling.runs} runs in ${r.fmaCeiling.seconds.toFixed(1)} s, median ${r.fmaCeiling.medianGflops.toFixed(1)}; scale a time measured elsewhere by the ratio of ceilings)` : '(not measured: --no-ceiling)'}`,
    'adapters  (choose with ROBUSTLENS_ADAPTER=NAME or init({ adapter }); each asked in a child process)',
    ...r.adapters.map((a) => {
      const what = a.found === null ? 'driver file missing' : 'adapter' in a.found ? a.found.adapter : `unavailable: ${a.found.error}`;
      return `  ${a.name.padEnd(11)}  ${(a.driver ?? '(loader default)').padEnd(drivers)}  ${a.inUse ? 'in use' : '      '}  ${what}`;
    }),
    `features  ${r.features.join(', ') || '(none)'}`,
    'limits',
    ...Object.entries(r.limits).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ];
  return lines.join('\n');
}

export const info: Command = {
  name: 'info',
  summary: 'print the runtime, the WebGPU adapter, its driver, measured FMA ceiling and limits',
  help: `Usage: robustlens info [--json] [--no-ceiling]

Finds a WebGPU adapter the way every other command does and describes it, measures its arithmetic
ceiling (an FMA-bound kernel, for about a second: the GFLOP/s the README's times are quoted against),
and lists the Vulkan drivers robustlens can use (ROBUSTLENS_ADAPTER=auto|lavapipe|swiftshader|system),
each asked in a child process which adapter it gives.

Options:
  --json         print one JSON object instead of text
  --no-ceiling   skip the one-second ceiling measurement`,
  options: { json: { type: 'boolean' }, 'no-ceiling': { type: 'boolean' } },
  async run(args) {
    // The device stays up: the process exits after the command (and a test may share the engine).
    const engine = await init();
    // Measured before the adapter probes start their child processes, which would share the CPU.
    const fmaCeiling = flag(args, 'no-ceiling') || !engine.runtime ? null : await measureFmaCeiling(engine.runtime, { seconds: 1 });
    const report: InfoReport = {
      ...engine.adapter!,
      adapterChoice: nodeAdapter()?.name ?? 'auto',
      vulkanIcd: process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES || null,
      adapters: await listAdapters(),
      fmaCeiling,
    };
    console.log(args.values.json ? JSON.stringify(report, null, 2) : formatInfo(report));
    return 0;
  },
};
