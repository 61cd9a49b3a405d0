import type { GpuRuntime } from '../gpu/runtime.js';

/** A launcher: a function of the runtime and the op's arguments. */
type Launcher = (rt: GpuRuntime, ...args: never[]) => unknown;

/** The launcher with its runtime given: the signature of the Backend method it implements. */
type Bound<F> = F extends (rt: GpuRuntime, ...args: infer A) => infer R ? (...args: A) => R : never;

export type Slice<T extends Record<string, Launcher>> = { readonly [K in keyof T]: Bound<T[K]> };

/**
 * A kernel family's slice of the webgpu Backend: its launchers with `rt` bound once, so each
 * Backend method is the launcher itself (no hand-written forwarding). src/backend/webgpu.ts
 * assembles the slices and checks them against the Backend contract.
 */
export function bindRuntime<T extends Record<string, Launcher>>(rt: GpuRuntime, launchers: T): Slice<T> {
  const slice: Record<string, unknown> = {};
  for (const [name, launcher] of Object.entries(launchers)) slice[name] = launcher.bind(null, rt);
  return slice as Slice<T>;
}
