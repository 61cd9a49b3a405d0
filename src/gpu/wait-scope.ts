/**
 * A hook around the engine's own waits for the GPU: readbacks (mapAsync), sync and throttle
 * (onSubmittedWorkDone), profiling reads. robustlens/node installs one when asked for fast polling
 * (`init({ fastPolling: true })`): Dawn's node bindings poll pending GPU promises through the
 * global setImmediate, and the scope swaps a gentler one in only while the engine waits. With no
 * scope installed (the default, and always in browsers and Deno) a wait is a plain await.
 */
export interface WaitScope {
  enter(): void;
  exit(): void;
}

let scope: WaitScope | null = null;

export function setWaitScope(s: WaitScope | null): void {
  scope = s;
}

/**
 * Await the GPU promise `start` creates, inside the scope. The scope is entered before `start`
 * runs because Dawn schedules its first poll when the promise is created.
 */
export async function gpuWait<T>(start: () => Promise<T>): Promise<T> {
  const s = scope;
  if (!s) return start();
  s.enter();
  try {
    return await start();
  } finally {
    s.exit();
  }
}
