import { LimitError } from '../errors.js';

/** Largest workgroup count per dimension that every WebGPU device accepts. */
export const MAX_GROUPS = 65535;

/**
 * Kernels index elements with 32-bit integers (i32 where offsets can be negative, as around conv
 * padding), so no tensor may reach 2^31 elements. With 4-byte elements that is an 8 GiB buffer:
 * only a device that binds more than that ever meets this limit.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Split n invocations of a 1-D kernel of workgroup size wg into an (x, y) grid. */
export function grid1d(n: number, wg = 64): [number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= MAX_GROUPS) return [groups, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  // The kernels rebuild the index as gid.x + gid.y * nwg.x * WG in u32: the last invocation's
  // index, MAX_GROUPS * y * wg - 1, must not wrap past 2^32 - 1 onto a low element.
  if (y > MAX_GROUPS || MAX_GROUPS * y * wg > 2 ** 32) {
    throw new LimitError(`dispatch of ${n} invocations (workgroup size ${wg}) overflows 32-bit invocation indices; split the tensor`);
  }
  return [MAX_GROUPS, y];
}

/** Raise LimitError for a dispatch grid past MAX_GROUPS in any dimension. */
export function checkGrid(label: string, x: number, y: number, z: number): void {
  if (x > MAX_GROUPS || y > MAX_GROUPS || z > MAX_GROUPS) {
    throw new LimitError(`${label}: dispatch (${x}, ${y}, ${z}) exceeds ${MAX_GROUPS} workgroups per dimension`);
  }
}

/** The LimitError for a storage buffer of `bytes` on a device binding at most `maxBytes`, or null if it fits. */
export function storageLimitError(bytes: number, maxBytes: number, label: string): LimitError | null {
  const elements = Math.ceil(bytes / 4);
  if (elements > MAX_ELEMENTS) {
    return new LimitError(
      `${label}: ${elements} elements exceed ${MAX_ELEMENTS} (2^31 - 1), the most the kernels' 32-bit index ` +
        `arithmetic addresses; use a smaller batch or split the tensor.`,
    );
  }
  if (bytes > maxBytes) {
    return new LimitError(
      `${label}: ${elements} elements need a ${bytes}-byte buffer but this device binds at most ` +
        `${maxBytes} bytes (maxStorageBufferBindingSize); use a smaller batch or split the tensor.`,
    );
  }
  return null;
}

/**
 * How many of `items` independent planes (or examples) one invocation should walk: up to `cap` while
 * at least `minGroups` groups of them remain for a real GPU's parallel work. lavapipe pays a fixed
 * cost per workgroup, which one small plane per invocation does not cover.
 */
export function itemsPerInvocation(items: number, cap = 16, minGroups = 64): number {
  return Math.min(cap, Math.max(1, Math.floor(items / minGroups)));
}
