import { RobustlensError } from '../errors.js';

/**
 * Which Vulkan driver Dawn should use on Linux (robustlens/node; the same rules as
 * scripts/gpu-env.sh). The Vulkan loader reads VK_DRIVER_FILES / VK_ICD_FILENAMES once, when Dawn
 * first creates its instance, so the choice is made before that and holds for the process:
 *
 *   auto         Mesa lavapipe when installed and new enough for Dawn (Mesa >= 25), unless the
 *                caller already set VK_DRIVER_FILES or VK_ICD_FILENAMES; else the loader's choice
 *   lavapipe     Mesa lavapipe (scripts/setup.sh installs it)
 *   swiftshader  SwiftShader from the `chromium` package (the second implementation)
 *   system       whatever the loader finds (a real GPU): both variables are cleared
 *
 * Pure logic: the host (files, Mesa's version, the environment) is passed in.
 */
export const ADAPTER_NAMES = ['auto', 'lavapipe', 'swiftshader', 'system'] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

/** The driver files of the software adapters (Debian's paths). */
export const DRIVER_FILES = {
  lavapipe: '/usr/share/vulkan/icd.d/lvp_icd.json',
  swiftshader: '/usr/lib/chromium/vk_swiftshader_icd.json',
} as const;

/** What each named adapter calls itself in GPUAdapterInfo (device or description). */
const REPORTS_AS: Readonly<Record<'lavapipe' | 'swiftshader', RegExp>> = { lavapipe: /llvmpipe/i, swiftshader: /swiftshader/i };

export interface AdapterHost {
  exists(path: string): boolean;
  /** Mesa's major version from the package manager, or null when it cannot tell. */
  mesaMajor(): number | null;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The choice, resolved: `driver` is the file the loader is pointed at (set in both variables),
 * null to clear them (the loader's own search), or 'keep' to leave the environment as it is.
 */
export interface AdapterPlan {
  readonly name: AdapterName;
  readonly driver: string | null | 'keep';
  /** Where the choice came from, for messages: "init({ adapter })" or "ROBUSTLENS_ADAPTER". */
  readonly source: string;
}

/** Resolve `requested` (undefined: ROBUSTLENS_ADAPTER, else auto); unknown or missing adapters raise. */
export function planAdapter(requested: string | undefined, host: AdapterHost): AdapterPlan {
  const source = requested !== undefined ? 'init({ adapter })' : 'ROBUSTLENS_ADAPTER';
  const name = requested ?? (host.env.ROBUSTLENS_ADAPTER || 'auto');
  if (!(ADAPTER_NAMES as readonly string[]).includes(name)) {
    throw new RobustlensError(`init: unknown adapter '${name}' (from ${source}); use ${ADAPTER_NAMES.join(', ')}`);
  }
  const adapter = name as AdapterName;
  if (adapter === 'system') return { name: adapter, driver: null, source };
  if (adapter === 'auto') {
    if (host.env.VK_DRIVER_FILES || host.env.VK_ICD_FILENAMES) return { name: adapter, driver: 'keep', source };
    const lvp = DRIVER_FILES.lavapipe;
    // Debian 12's own lavapipe (Mesa 22.3) is rejected by Dawn; pin only one that works.
    const major = host.exists(lvp) ? host.mesaMajor() : -1;
    return { name: adapter, driver: major === null || major >= 25 ? lvp : 'keep', source };
  }
  const file = DRIVER_FILES[adapter];
  if (!host.exists(file)) {
    const fix = adapter === 'lavapipe' ? "run 'bash scripts/setup.sh' (as root) to install Mesa lavapipe" : "install the 'chromium' package (bash scripts/setup.sh)";
    throw new RobustlensError(`init: adapter '${adapter}' (from ${source}) needs ${file}, which is missing; ${fix}, or choose another adapter`);
  }
  return { name: adapter, driver: file, source };
}

/** The driver file the loader will read once `plan` is applied to `env` (null: its own search). */
export function driverAfter(plan: AdapterPlan, env: Readonly<Record<string, string | undefined>>): string | null {
  if (plan.driver !== 'keep') return plan.driver;
  return env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES || null;
}

/** Point the Vulkan loader at the plan's driver (both variables: loaders >= 1.3.207 read VK_DRIVER_FILES first). */
export function applyAdapterPlan(plan: AdapterPlan, env: Record<string, string | undefined>): void {
  if (plan.driver === 'keep') return;
  if (plan.driver === null) {
    delete env.VK_DRIVER_FILES;
    delete env.VK_ICD_FILENAMES;
  } else {
    env.VK_DRIVER_FILES = plan.driver;
    env.VK_ICD_FILENAMES = plan.driver;
  }
}

/**
 * Raise unless the adapter Dawn found is the one asked for (a named software adapter); auto and
 * system accept whatever the loader gave.
 */
export function checkAdapterIs(plan: AdapterPlan, info: { device?: string; description?: string }): void {
  if (plan.name !== 'lavapipe' && plan.name !== 'swiftshader') return;
  const seen = `${info.device ?? ''} ${info.description ?? ''}`.trim();
  if (!REPORTS_AS[plan.name].test(seen)) {
    throw new RobustlensError(
      `init: adapter '${plan.name}' (from ${plan.source}) was asked for, but Dawn found '${seen || 'an unnamed adapter'}'; ` +
        `check that ${DRIVER_FILES[plan.name]} is a working Vulkan driver`,
    );
  }
}
