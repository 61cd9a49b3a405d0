import { setWaitScope, type WaitScope } from './wait-scope.js';

/**
 * Fast polling for Dawn's node bindings (perf-facts.md). While a GPU promise (mapAsync,
 * onSubmittedWorkDone) is pending, dawn.node re-arms its polling through the *global*
 * `setImmediate`, busy-waiting a whole core. A gentler one (a short spin on the real setImmediate,
 * then a 1 ms timer) doubled measured throughput on two cores. The spin was 0.3 ms, which still
 * kept about a quarter of a core busy beside the driver's threads; at 0.05 ms, side by side in one
 * process (lavapipe, load 1.4-2.0): PGD-10 on batch 256 2.38 -> 2.08 s, 2.60 -> 2.45 s and
 * 2.06 -> 1.86 s in three runs, and a cnn-small training step with a readback each step 83.2 ->
 * 73.8 ms (no spin at all: 1.88 s and 70.1 ms; the short spin keeps tiny waits under a millisecond).
 * Taking over a global is the caller's decision, so this is off unless asked for, and scoped:
 *
 *   'off'     the global is never touched (the default)
 *   'scoped'  the gentle version is swapped in only while the engine itself awaits the GPU (its
 *             readbacks, sync, throttle), reference-counted across overlapping waits, and the
 *             original put back after; an application's own setImmediate is untouched otherwise
 *   'always'  swapped in for the rest of the process (benchmarks that time other libraries'
 *             waits on the same Dawn alongside ours)
 *
 * Dawn reads `globalThis.setImmediate` each time it schedules a poll, so a swap takes effect at
 * the next poll of a wait already pending.
 */
export type FastPolling = 'off' | 'scoped' | 'always';

let mode: FastPolling = 'off';
let depth = 0;
let original: typeof setImmediate | null = null;
let installed: typeof setImmediate | null = null;

const SPIN_MS = 0.05;

function gentle(real: typeof setImmediate): typeof setImmediate {
  const patched = (fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    const start = performance.now();
    const spin = (): void => {
      if (performance.now() - start < SPIN_MS) real(spin);
      else setTimeout(() => fn(...args), 1);
    };
    return real(spin);
  };
  return Object.assign(patched, { __promisify__: (real as { __promisify__?: unknown }).__promisify__ }) as unknown as typeof setImmediate;
}

const g = globalThis as { setImmediate?: typeof setImmediate };

const scope: WaitScope = {
  enter() {
    if (depth++ > 0 || typeof g.setImmediate !== 'function') return;
    original = g.setImmediate;
    installed = gentle(original);
    g.setImmediate = installed;
  },
  exit() {
    if (--depth > 0 || !installed) return;
    // Put the original back unless someone replaced ours meanwhile (theirs then stays).
    if (g.setImmediate === installed) g.setImmediate = original!;
    original = installed = null;
  },
};

/** Choose the polling mode for this process (see FastPolling). */
export function setFastPolling(next: FastPolling): void {
  if (next === mode) return;
  if (mode === 'always') scope.exit();
  mode = next;
  setWaitScope(mode === 'off' ? null : scope);
  if (mode === 'always') scope.enter();
}

export function fastPolling(): FastPolling {
  return mode;
}

/** Whether the gentle setImmediate is in `globalThis` right now (for tests). */
export function fastPollingActive(): boolean {
  return installed !== null && g.setImmediate === installed;
}

/**
 * Run `fn` (which waits on the GPU outside the engine, e.g. another library sharing the device)
 * with fast polling as the engine's own waits get it; a plain call when polling is 'off'.
 */
export async function withFastPolling<T>(fn: () => Promise<T>): Promise<T> {
  if (mode === 'off') return fn();
  scope.enter();
  try {
    return await fn();
  } finally {
    scope.exit();
  }
}
