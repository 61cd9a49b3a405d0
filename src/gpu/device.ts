import { RobustlensError } from '../errors.js';

export interface AdapterDescription {
  runtime: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  limits: Record<string, number>;
}

const LIMITS_WANTED = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  // Not used by the kernels: requested and reported so that `robustlens info` shows the value Dawn
  // clamped (its start-up warnings are about these two; see src/node.ts).
  'maxDynamicUniformBuffersPerPipelineLayout',
  'maxDynamicStorageBuffersPerPipelineLayout',
] as const;

const FEATURES_WANTED = ['timestamp-query', 'subgroups', 'shader-f16'] as const;

export function detectRuntime(): string {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno !== 'undefined') return `deno ${(g.Deno as { version?: { deno?: string } }).version?.deno ?? ''}`.trim();
  const proc = g.process as { versions?: { node?: string } } | undefined;
  if (proc?.versions?.node) return `node ${proc.versions.node}`;
  if (typeof g.navigator !== 'undefined') return `browser ${(g.navigator as Navigator).userAgent}`;
  return 'unknown';
}

export function describe(adapterInfo: GPUAdapterInfo | undefined, device: GPUDevice): AdapterDescription {
  const limits: Record<string, number> = {};
  for (const k of LIMITS_WANTED) limits[k] = device.limits[k];
  return {
    runtime: detectRuntime(),
    vendor: adapterInfo?.vendor ?? '',
    architecture: adapterInfo?.architecture ?? '',
    device: adapterInfo?.device ?? '',
    description: adapterInfo?.description ?? '',
    features: [...device.features].map(String).sort(),
    limits,
  };
}

/** Request an adapter and a device with the adapter's full buffer limits and useful features. */
export async function requestDevice(gpu: GPU | undefined): Promise<{ device: GPUDevice; info: GPUAdapterInfo | undefined }> {
  if (!gpu) {
    throw new RobustlensError(
      'init: no WebGPU here (navigator.gpu is undefined). In Node use `import { init } from "robustlens/node"`; ' +
        'in Chrome serve the page from http://localhost or https; on a machine without a GPU run `npm run setup` ' +
        'to install a software Vulkan driver.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new RobustlensError(
      'init: WebGPU found no adapter. Without a GPU, install a software Vulkan driver (`bash scripts/setup.sh` ' +
        'installs Mesa lavapipe) and set VK_ICD_FILENAMES as it prints.',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS_WANTED) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures = FEATURES_WANTED.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  return { device, info: adapter.info };
}
