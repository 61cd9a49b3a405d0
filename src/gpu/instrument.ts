/**
 * What a piece of work does on one GpuRuntime, for step profiles (bench/profile.ts): how many
 * dispatches, submits, readbacks and uploads it makes, and where its wall time goes.
 *
 * `instrument(rt)` wraps the instance's dispatch, copy, upload, flush, read, sync and throttle with
 * own properties that shadow the class's methods (so the runtime's internal calls, such as read →
 * flush, are seen too); `stop()` deletes them again. Every moment between start and stop is charged
 * to one part:
 * - encode: inside dispatch and copy (pipeline lookup, bind group, uniform write, command encoding);
 * - upload: inside upload (queue.writeBuffer);
 * - submit: inside flush (encoder.finish, queue.submit);
 * - wait: inside read, sync and throttle, and all the time while one of their promises is pending
 *   (the GPU runs the queue, the staging buffer is mapped and copied out). JS that runs while a
 *   readback is pending, not awaited, is charged here too: the profiled steps await theirs;
 * - JS outside those calls, split by what ends it: JS that ends in a dispatch, copy or upload
 *   prepares that op ("op JS": ops, autograd, launchers); JS that ends in a submit, a wait or stop()
 *   is "other JS" (loop bookkeeping, result handling).
 *
 * With `capture: true` every dispatch's spec is kept and buffer releases are held back until
 * `release()`, so that the captured dispatches can be replayed one by one with their buffers intact
 * (timeDispatches: per-dispatch GPU times where the adapter has no 'timestamp-query').
 */
import type { DispatchSpec, GpuRuntime } from './runtime.js';

export interface RuntimeCounts {
  dispatches: number;
  /** Buffer-to-buffer copies encoded with the dispatches. */
  copies: number;
  uploads: number;
  uploadBytes: number;
  /** Command buffers submitted (flushes that had something to submit). */
  submits: number;
  readbacks: number;
  readbackBytes: number;
  /** sync() and throttle() calls (throttle returns at once when few submits are unfinished). */
  queueWaits: number;
}

/** Milliseconds per part; they add up to wallMs. */
export interface TimeSplit {
  wallMs: number;
  encodeMs: number;
  uploadMs: number;
  submitMs: number;
  waitMs: number;
  opJsMs: number;
  otherJsMs: number;
}

export interface Instrumented {
  /** Unwrap the runtime and return what was seen. The captured specs stay usable until release(). */
  stop(): { counts: RuntimeCounts; times: TimeSplit; dispatches: DispatchSpec[] };
  /** Give back the storage buffers whose release was held back (capture mode); call after stop(). */
  release(): void;
}

type Part = 'encode' | 'upload' | 'submit' | 'wait';
const WRAPPED = ['dispatch', 'copy', 'upload', 'flush', 'read', 'sync', 'throttle', 'releaseStorage'] as const;

export function instrument(rt: GpuRuntime, opts: { capture?: boolean } = {}): Instrumented {
  for (const m of WRAPPED) {
    if (Object.prototype.hasOwnProperty.call(rt, m)) throw new Error(`instrument: the runtime's ${m} is wrapped already (one instrument at a time; stop() the other first)`);
  }
  const counts: RuntimeCounts = { dispatches: 0, copies: 0, uploads: 0, uploadBytes: 0, submits: 0, readbacks: 0, readbackBytes: 0, queueWaits: 0 };
  const ms = { encode: 0, upload: 0, submit: 0, wait: 0, opJs: 0, otherJs: 0 };
  const captured: DispatchSpec[] = [];
  const held = new Set<GPUBuffer>();
  const stack: Part[] = []; // synchronous wrapped calls in progress, innermost last
  let pending = 0; // promises of read/sync/throttle not settled yet
  const start = performance.now();
  let last = start;

  // Charge the time since the last event to the part running until now; `next` is what starts now.
  const tick = (next: Part | 'stop'): void => {
    const now = performance.now();
    const dt = now - last;
    last = now;
    const cur = stack.at(-1) ?? (pending > 0 ? 'wait' : null);
    if (cur) ms[cur] += dt;
    else if (next === 'encode' || next === 'upload') ms.opJs += dt;
    else ms.otherJs += dt;
  };
  const enter = (p: Part): void => {
    tick(p);
    stack.push(p);
  };
  const exit = (): void => {
    tick('stop');
    stack.pop();
  };

  const proto = Object.getPrototypeOf(rt) as GpuRuntime;
  const orig = <K extends (typeof WRAPPED)[number]>(k: K): GpuRuntime[K] => (proto[k] as (...a: unknown[]) => unknown).bind(rt) as GpuRuntime[K];
  const sync = <A extends unknown[], R>(part: Part, fn: (...a: A) => R, before?: (...a: A) => void) => (...a: A): R => {
    before?.(...a);
    enter(part);
    try {
      return fn(...a);
    } finally {
      exit();
    }
  };
  const waiting = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, before: (...a: A) => void) => (...a: A): Promise<R> => {
    before(...a);
    const p = sync('wait', fn)(...a);
    pending++;
    return p.finally(() => {
      tick('wait');
      pending--;
    });
  };

  const dispatch = orig('dispatch');
  const submitsBefore = rt.submits;
  const own = rt as unknown as Record<string, unknown>;
  own.dispatch = sync('encode', dispatch, (spec: DispatchSpec) => {
    counts.dispatches++;
    if (opts.capture) {
      captured.push({ ...spec, overrides: spec.overrides && { ...spec.overrides }, uniforms: spec.uniforms && Object.fromEntries(Object.entries(spec.uniforms).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])), buffers: { ...spec.buffers }, workgroups: [...spec.workgroups] as DispatchSpec['workgroups'] });
    }
  });
  own.copy = sync('encode', orig('copy'), () => counts.copies++);
  own.upload = sync('upload', orig('upload'), (_b: GPUBuffer, data: ArrayBufferView) => {
    counts.uploads++;
    counts.uploadBytes += data.byteLength;
  });
  own.flush = sync('submit', orig('flush'));
  own.read = waiting(orig('read'), (_b: GPUBuffer, bytes: number) => {
    counts.readbacks++;
    counts.readbackBytes += bytes;
  });
  own.sync = waiting(orig('sync'), () => counts.queueWaits++);
  own.throttle = waiting(orig('throttle'), () => counts.queueWaits++);
  const releaseStorage = orig('releaseStorage');
  if (opts.capture) own.releaseStorage = (b: GPUBuffer) => void held.add(b);

  let result: ReturnType<Instrumented['stop']> | null = null;
  return {
    stop() {
      if (result) return result;
      tick('stop');
      for (const m of WRAPPED) delete own[m];
      counts.submits = rt.submits - submitsBefore;
      const times: TimeSplit = { wallMs: last - start, encodeMs: ms.encode, uploadMs: ms.upload, submitMs: ms.submit, waitMs: ms.wait, opJsMs: ms.opJs, otherJsMs: ms.otherJs };
      result = { counts, times, dispatches: captured };
      return result;
    },
    release() {
      if (!result) throw new Error('instrument: call stop() before release()');
      for (const b of held) releaseStorage(b);
      held.clear();
    },
  };
}

/**
 * GPU milliseconds per kernel (shader.entry) of captured dispatches, each replayed alone: submitted
 * on its own and waited for, minus the latency of an empty queue wait. Short kernels are repeated
 * in one submit (up to `maxCalls`) until a timed run lasts about `minMs`; the fastest of three
 * runs counts. Slower than timestamp
 * queries and noisier per kernel, but the shares hold. Replays write into the captured buffers
 * (in-place kernels move their data on): call it only when those results are no longer needed.
 */
export async function timeDispatches(
  rt: GpuRuntime,
  specs: readonly DispatchSpec[],
  opts: { minMs?: number; maxCalls?: number } = {},
): Promise<{ kernel: string; ms: number; count: number }[]> {
  const minMs = opts.minMs ?? 2;
  const maxCalls = opts.maxCalls ?? 16;
  const wall = async (record: () => void): Promise<number> => {
    await rt.sync();
    const t0 = performance.now();
    record();
    await rt.sync();
    return performance.now() - t0;
  };
  let latency = Infinity; // the fastest empty wait, as the timed runs are the fastest of three
  for (let i = 0; i < 7; i++) latency = Math.min(latency, await wall(() => {}));
  const totals = new Map<string, { ms: number; count: number }>();
  for (const spec of specs) {
    const first = await wall(() => rt.dispatch(spec)); // compiles nothing new: the step ran these
    const calls = Math.max(1, Math.min(maxCalls, Math.ceil(minMs / Math.max(first - latency, 0.01))));
    // The fastest of three runs: on a shared machine, load only ever adds time.
    let t = Infinity;
    for (let r = 0; r < 3; r++) {
      t = Math.min(t, await wall(() => {
        for (let k = 0; k < calls; k++) rt.dispatch(spec);
      }));
    }
    const label = `${spec.shader}.${spec.entry}`;
    const e = totals.get(label) ?? { ms: 0, count: 0 };
    e.ms += Math.max(0, t - latency) / calls;
    e.count++;
    totals.set(label, e);
  }
  return [...totals.entries()].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);
}
