/**
 * The Node bootstrap: WebGPU through Dawn (the npm package `webgpu`). Browser and Deno bundles
 * never import this file; it is the `robustlens/node` export.
 *
 *   await init();                                  // lavapipe where installed (ROBUSTLENS_ADAPTER=auto)
 *   await init({ adapter: 'swiftshader' });        // or ROBUSTLENS_ADAPTER=swiftshader in the environment
 *   await init({ fastPolling: true });             // faster GPU waits on CPU adapters; takes over
 *                                                  // globalThis.setImmediate during the engine's waits
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { create } from 'webgpu';
import { FormatError, RobustlensError } from './errors.js';
import { engine } from './engine.js';
import { applyAdapterPlan, checkAdapterIs, driverAfter, planAdapter, type AdapterHost, type AdapterName, type AdapterPlan } from './gpu/adapter-choice.js';
import type { AdapterDescription } from './gpu/device.js';
import { setFastPolling } from './gpu/fast-polling.js';
import { init as initCore, shutdown, type Engine, type InitOptions } from './init.js';
import { importTuning } from './tuning.js';

// dawn.node's GPU object must stay referenced for the life of its devices: when it was garbage
// collected, lavapipe runs hung or aborted (perf-facts.md). A module-level variable keeps it.
let dawnGpu: GPU | null = null;
/** The adapter choice Dawn was created under and the driver file the loader read (null: its own search). */
let created: { plan: AdapterPlan; driver: string | null } | null = null;

let mesa: number | null | undefined;

/** Mesa's major version from dpkg (as scripts/gpu-env.sh), or null when dpkg cannot tell; asked once. */
function mesaMajor(): number | null {
  if (mesa !== undefined) return mesa;
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'mesa-vulkan-drivers'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /^(?:\d+:)?(\d+)/.exec(v.trim());
    mesa = m ? Number(m[1]) : null;
  } catch {
    mesa = null;
  }
  return mesa;
}

const host: AdapterHost = { exists: existsSync, mesaMajor, env: process.env };

export type { AdapterName } from './gpu/adapter-choice.js';
export { setFastPolling, withFastPolling, type FastPolling } from './gpu/fast-polling.js';

export interface NodeInitOptions extends InitOptions {
  /**
   * Take over `globalThis.setImmediate` while the engine waits for the GPU: Dawn polls pending
   * GPU work through it, busy-waiting a core, and a gentler one doubled throughput on two cores
   * (perf-facts.md). true: only during the engine's own waits (the original is put back after);
   * 'always': for the rest of the process; false: never. Default: unchanged (off unless set).
   */
  fastPolling?: boolean | 'always';
  /**
   * The Vulkan driver Dawn uses on Linux: 'auto' (lavapipe where installed), 'lavapipe',
   * 'swiftshader' or 'system' (a real GPU). Default: ROBUSTLENS_ADAPTER, else 'auto'. Fixed for
   * the process once Dawn is created; asking for another one later is an error.
   */
  adapter?: AdapterName;
}

/**
 * Dawn's `GPU` object (Node's `navigator.gpu`), created once and kept alive for the process, with
 * the Vulkan driver chosen by `adapter` (see NodeInitOptions). Apps that make their own device use
 * it: `const device = await (await nodeGpu().requestAdapter())!.requestDevice()`, then
 * `init({ device })`.
 */
export function nodeGpu(opts: Pick<NodeInitOptions, 'adapter' | 'fastPolling'> = {}): GPU {
  if (opts.fastPolling !== undefined) setFastPolling(pollingMode(opts.fastPolling));
  return dawnFor(planAdapter(opts.adapter, host));
}

function dawnFor(plan: AdapterPlan): GPU {
  if (dawnGpu && created) {
    checkSameDriver(plan, created);
    return dawnGpu;
  }
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  // The Vulkan loader reads its driver variables when Dawn creates its instance: set them first.
  applyAdapterPlan(plan, process.env);
  created = { plan, driver: driverAfter(plan, process.env) };
  // Dawn rounds timestamp queries to 65.536 µs by default (a browser's timing-attack mitigation; no
  // web content runs here), which hides most kernels of a step: the profiler wants nanoseconds.
  dawnGpu = create(['disable-dawn-features=timestamp_quantization']) as unknown as GPU;
  return dawnGpu;
}

/** The adapter choice Dawn was created under in this process (null before the first nodeGpu()). */
export function nodeAdapter(): { name: AdapterName; driver: string | null } | null {
  return created && { name: created.plan.name, driver: created.driver };
}

function checkSameDriver(plan: AdapterPlan, was: { plan: AdapterPlan; driver: string | null }): void {
  if (plan.name === 'auto') return;
  const want = driverAfter(plan, process.env);
  if (want === was.driver) return;
  const had = was.driver ?? "the Vulkan loader's own choice";
  throw new RobustlensError(
    `init: adapter '${plan.name}' (from ${plan.source}) was asked for, but Dawn was already created in this process ` +
      `with ${had} (adapter '${was.plan.name}'); the Vulkan loader reads its driver once per process, so start a ` +
      `new process with ROBUSTLENS_ADAPTER=${plan.name}`,
  );
}

const pollingMode = (p: boolean | 'always') => (p === 'always' ? 'always' : p ? 'scoped' : 'off');

/** `init()` for Node: creates Dawn's GPU object with the chosen driver and finds an adapter. */
export async function init(opts: NodeInitOptions = {}): Promise<Engine> {
  if (opts.fastPolling !== undefined) setFastPolling(pollingMode(opts.fastPolling));
  if (opts.device || opts.gpu || opts.backend === 'cpu') {
    if (opts.adapter !== undefined) {
      throw new RobustlensError(`init: 'adapter' chooses Dawn's Vulkan driver; it cannot apply together with ${opts.backend === 'cpu' ? "backend: 'cpu'" : opts.device ? 'a device of your own' : 'a GPU object of your own'}`);
    }
    return initCore(opts);
  }
  const plan = planAdapter(opts.adapter, host);
  const gpu = dawnFor(plan);
  const running = engine.runtime;
  const result = await initCore({ ...opts, gpu });
  try {
    checkAdapterIs(plan, result.adapter ?? {});
  } catch (e) {
    if (engine.runtime !== running) shutdown(); // never leave an engine on the wrong adapter
    throw e;
  }
  noteDawnWarnings(result.adapter);
  loadTuningFile(process.env.ROBUSTLENS_TUNING);
  return result;
}

/**
 * $ROBUSTLENS_TUNING names a table `robustlens tune` (or exportTuning) wrote: applied when it was
 * made on this adapter, else ignored with one line on stderr; a file that cannot be read or parsed
 * is an error naming it.
 */
function loadTuningFile(path: string | undefined): void {
  if (!path) return;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FormatError(`init: ROBUSTLENS_TUNING=${path} cannot be read as JSON (${(e as Error).message}); run \`robustlens tune --out ${path}\` or unset it`);
  }
  const r = importTuning(json);
  if (!r.applied) process.stderr.write(`robustlens: ROBUSTLENS_TUNING=${path} not applied: ${r.reason}\n`);
}

let noted = false;

/**
 * Dawn prints "Warning: maxDynamic{Uniform,Storage}BuffersPerPipelineLayout artificially reduced
 * from N to 16 ..." on stderr when a Vulkan driver reports more dynamic buffers than Dawn keeps
 * (lavapipe, RADV). It comes from Dawn's internal logger (fprintf to stderr) while it enumerates
 * adapters: no create() flag, requested limit or log callback reaches it. So say once, after them,
 * that they are harmless, where the adapter's limits show the clamp (both at 16).
 */
function noteDawnWarnings(a: AdapterDescription | null): void {
  if (noted || !a) return;
  if ((a.limits.maxDynamicUniformBuffersPerPipelineLayout ?? 0) < 16 || (a.limits.maxDynamicStorageBuffersPerPipelineLayout ?? 0) < 16) return;
  noted = true;
  process.stderr.write(
    "robustlens: Dawn's start-up warnings 'maxDynamic...BuffersPerPipelineLayout artificially reduced' are harmless (robustlens uses no dynamic offsets)\n",
  );
}

export * from './index.js';
export * from './data/fs-node.js';
export * from './train/checkpoint-node.js';
export * from './data/datasets-node.js';
