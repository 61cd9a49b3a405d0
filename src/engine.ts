import type { Backend } from './backend/types.js';
import { createCpuBackend } from './backend/cpu/index.js';
import { RobustlensError } from './errors.js';
import type { GpuRuntime } from './gpu/runtime.js';

/**
 * Process-wide engine state: the default backend, the live-tensor registry and the tidy scopes.
 * Kept in one small object so that tests can inspect it and `init()` can swap the backend.
 */
interface Disposable {
  readonly id: number;
  dispose(): void;
  readonly isDisposed: boolean;
}

export const cpu: Backend<Float64Array> = createCpuBackend();

class EngineState {
  backend: Backend<any> = cpu;
  runtime: GpuRuntime | null = null;
  readonly live = new Map<number, Disposable>();
  readonly scopes: Set<Disposable>[] = [];
  nextId = 1;
  /** When on, every float32 readback is scanned for NaN/Inf (see setNumericsCheck). */
  checkNumerics = false;
  /** The ids of the tensors each open gradient tape still needs for its backward pass, one set per
   *  tape while its function runs (autograd/tape.ts adds and removes them). */
  readonly pinnedByTapes = new Set<ReadonlySet<number>>();
}

export const engine = new EngineState();

/** True when an open gradient tape still needs `t`. */
function isPinned(t: Disposable): boolean {
  for (const ids of engine.pinnedByTapes) if (ids.has(t.id)) return true;
  return false;
}

/** The backend new tensors go to when none is named. */
export function getBackend(): Backend<any> {
  return engine.backend;
}

export function setBackend(b: Backend<any>): void {
  engine.backend = b;
}

export function registerTensor(t: Disposable): void {
  engine.live.set(t.id, t);
  engine.scopes[engine.scopes.length - 1]?.add(t);
}

export function unregisterTensor(t: Disposable): void {
  engine.live.delete(t.id);
  for (let i = engine.scopes.length - 1; i >= 0; i--) if (engine.scopes[i]!.delete(t)) break;
}

/** Take a tensor out of every open tidy scope, so that it outlives them. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of engine.scopes) s.delete(t);
  return t;
}

function collect(x: unknown, out: Set<Disposable>, depth = 0): void {
  if (x === null || typeof x !== 'object' || depth > 4) return;
  if (engine.live.has((x as Disposable).id) && engine.live.get((x as Disposable).id) === x) {
    out.add(x as Disposable);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collect(v, out, depth + 1);
  else if (x instanceof Map) for (const v of x.values()) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collect(v, out, depth + 1);
}

/**
 * Run `fn` and dispose every tensor it created, except those it returns (directly, or inside
 * arrays, Maps and plain objects) and those passed to `keep`. Scopes nest; returned tensors move
 * to the enclosing scope. `fn` must be synchronous: GPU work is queued, not awaited, inside.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  engine.scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    engine.scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  engine.scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new RobustlensError('tidy: fn returned a Promise; tidy scopes are synchronous. Queue GPU work inside, await results outside.');
  }
  const kept = new Set<Disposable>();
  collect(result, kept);
  const parent = engine.scopes[engine.scopes.length - 1];
  for (const t of scope) {
    // Tensors the open gradient tape still needs outlive inner scopes: they belong to valueAndGrad.
    if (kept.has(t) || (parent && isPinned(t))) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/**
 * Opt-in NaN/Inf detection where results leave the GPU: every float32 `data()` is scanned and a
 * non-finite value raises NumericsError naming the op that produced the tensor. The test suite
 * turns it on; training loops may turn it on for the steps they log.
 */
export function setNumericsCheck(on: boolean): void {
  engine.checkNumerics = on;
}

/** Let the GPU catch up when too much work is queued (call once per step in long loops). */
export async function throttle(): Promise<void> {
  await engine.runtime?.throttle();
}

/** Live tensors and GPU buffers: every test checks these are unchanged at its end. */
export function memory(): { tensors: number; gpuBuffers: number; gpuBytes: number; pooledBytes: number } {
  const pool = engine.runtime?.pool;
  return {
    tensors: engine.live.size,
    gpuBuffers: pool?.liveBuffers ?? 0,
    gpuBytes: pool?.liveBytes ?? 0,
    pooledBytes: pool?.pooledBytes ?? 0,
  };
}
