/**
 * The profile a speed-up starts from (`bench train-step --profile`, `bench pgd --profile`): for one
 * step of a workload, the GPU time per kernel (shader.entry, calls, share of the step), the
 * dispatches, submits, readbacks and uploads, and the time outside kernels, split into op JS,
 * command encoding, uploads, submits, waits beyond the kernels' time and other JS. Printed as
 * Markdown tables (to paste into the README) and written to out/profile-<name>.json.
 *
 * Two kinds of runs, after one warm-up step:
 * - `runs` plain steps under src/gpu/instrument.ts (JS-side timers only, which cost microseconds):
 *   the step's wall time and its split come from the run of median wall time;
 * - the kernels' GPU times, by timestamp queries where the adapter has 'timestamp-query' (one compute
 *   pass per dispatch while profiling; the mean over `runs` profiled steps, each run right after a
 *   plain one), or else by per-dispatch timing (instrument's capture and timeDispatches: each
 *   dispatch of one step replayed alone). `--profile-method` forces one; the output says which ran.
 * Wall time − kernel time is the time outside kernels. Its parts are measured in the plain runs;
 * "waits beyond kernel time" is the time spent waiting for the GPU less the kernels' time: GPU work
 * outside kernels (launches, copies, mapping) and polling latency; it reads low where kernels overlap
 * JS (work submitted before the step's final wait).
 */
import { loadavg } from 'node:os';
import { instrument, timeDispatches, type RuntimeCounts, type TimeSplit } from '../src/gpu/instrument.js';
import { median, writeJson, type BenchContext } from './harness.js';

export interface KernelTime {
  kernel: string;
  /** Dispatches per step. */
  calls: number;
  /** GPU milliseconds per step. */
  ms: number;
}

export interface StepProfile {
  name: string;
  what: string;
  adapter: string;
  method: 'timestamps' | 'per-dispatch';
  runs: number;
  loadavg: { start: number[]; end: number[] };
  /** Of the plain run of median wall time. */
  counts: RuntimeCounts;
  times: TimeSplit;
  kernels: KernelTime[];
  kernelMs: number;
  flops?: number;
}

const load = (): number[] => loadavg().map((l) => Math.round(100 * l) / 100);

/** Profile `step` (one step, ending with its own readback), print the tables and write the JSON. */
export async function profileStep(ctx: BenchContext, name: string, what: string, step: () => Promise<unknown>, opts: { flops?: number } = {}): Promise<StepProfile> {
  const { rt } = ctx;
  const asked = ctx.profile?.method ?? 'auto';
  if (asked === 'timestamps' && !rt.canProfile) throw new Error(`${name} --profile-method timestamps: this adapter has no 'timestamp-query' feature; use per-dispatch or auto`);
  const method = asked === 'per-dispatch' || !rt.canProfile ? 'per-dispatch' : 'timestamps';
  const runs = ctx.reps;
  const loadStart = load();
  await step(); // warm-up: pipelines compiled, pool filled

  // Plain runs (and, with timestamps, profiled runs after each: a change of load hits both alike).
  const plain: { counts: RuntimeCounts; times: TimeSplit }[] = [];
  const totals = new Map<string, { ms: number; count: number }>();
  for (let r = 0; r < runs; r++) {
    await rt.sync();
    const inst = instrument(rt);
    try {
      await step();
    } finally {
      plain.push(inst.stop());
    }
    if (method === 'timestamps') {
      await rt.sync();
      rt.startProfile();
      let round: { kernel: string; ms: number; count: number }[] = [];
      try {
        await step();
      } finally {
        round = await rt.stopProfile();
      }
      for (const k of round) {
        const e = totals.get(k.kernel) ?? { ms: 0, count: 0 };
        e.ms += k.ms / runs;
        e.count += k.count / runs;
        totals.set(k.kernel, e);
      }
    }
  }
  const mid = median(plain.map((p) => p.times.wallMs));
  const chosen = plain.reduce((a, b) => (Math.abs(b.times.wallMs - mid) < Math.abs(a.times.wallMs - mid) ? b : a));

  let kernels: KernelTime[];
  if (method === 'timestamps') {
    kernels = [...totals.entries()].map(([kernel, v]) => ({ kernel, calls: v.count, ms: v.ms })).sort((x, y) => y.ms - x.ms);
  } else {
    await rt.sync();
    const inst = instrument(rt, { capture: true });
    try {
      await step();
      kernels = (await timeDispatches(rt, inst.stop().dispatches)).map((k) => ({ kernel: k.kernel, calls: k.count, ms: k.ms }));
    } finally {
      inst.stop();
      inst.release();
    }
  }
  const p: StepProfile = {
    name, what, adapter: ctx.adapter, method, runs, loadavg: { start: loadStart, end: load() },
    counts: chosen.counts, times: chosen.times, kernels, kernelMs: kernels.reduce((a, k) => a + k.ms, 0), flops: opts.flops,
  };
  console.log('');
  for (const line of formatProfile(p)) console.log(line);
  console.log(`-> ${writeJson(name, profileJson(p), 'profile')}`);
  return p;
}

const f1 = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number, of: number): string => `${((100 * x) / of).toFixed(1)}%`;
const calls = (c: number): string => (Number.isInteger(c) ? String(c) : c.toFixed(1));

/** The outside-kernels rows: [label, ms]; they add up to wall − kernels. */
function outside(p: StepProfile): [string, number][] {
  const t = p.times;
  return [
    ['op JS (ops, autograd, launchers: JS that ends in a dispatch)', t.opJsMs],
    ['command encoding (GpuRuntime.dispatch: pipeline, bind group, uniform, encode)', t.encodeMs],
    ['uploads (queue.writeBuffer)', t.uploadMs],
    ['submits (encoder.finish, queue.submit)', t.submitMs],
    ['waits beyond kernel time (waiting for the GPU and readbacks, less the kernels)', t.waitMs - p.kernelMs],
    ['other JS (JS that ends in a submit or a wait: loop, results)', t.otherJsMs],
  ];
}

/** The profile as lines of text: a header and two Markdown tables. */
export function formatProfile(p: StepProfile): string[] {
  const W = p.times.wallMs;
  const c = p.counts;
  const how = p.method === 'timestamps'
    ? `kernel times from timestamp queries (one compute pass per dispatch; mean of ${p.runs} profiled steps)`
    : 'kernel times from per-dispatch timing (each dispatch of one step replayed alone: submitted and waited for, less an empty wait; slower, the shares hold)';
  const kernelCalls = p.kernels.reduce((a, k) => a + k.calls, 0);
  const lines = [
    `Profile: ${p.what}, on ${p.adapter}`,
    `${how}; wall time, its split and the counts from the median of ${p.runs} plain steps; load average ${p.loadavg.start.join(' ')} at the start, ${p.loadavg.end.join(' ')} at the end.`,
    `Per step: wall ${f1(W)} ms; ${c.dispatches} dispatches, ${c.submits} submits, ${c.readbacks} readbacks (${c.readbackBytes} bytes), ` +
      `${c.uploads} uploads (${c.uploadBytes} bytes), ${c.copies} buffer copies, ${c.queueWaits} queue waits (sync/throttle calls).` +
      (p.flops ? ` ${(p.flops / 1e9).toFixed(2)} GFLOP: ${f1(p.flops / W / 1e6)} GFLOP/s over the wall time, ${f1(p.flops / p.kernelMs / 1e6)} over the kernel time alone.` : ''),
  ];
  if (Math.abs(kernelCalls - c.dispatches) > 0.5) lines.push(`(The kernel table counts ${calls(kernelCalls)} dispatches per step, the plain runs ${c.dispatches}.)`);
  lines.push('', '| kernel (shader.entry) | calls | GPU ms | % of step | % of kernel time |', '|---|---:|---:|---:|---:|');
  for (const k of p.kernels) lines.push(`| ${k.kernel} | ${calls(k.calls)} | ${f1(k.ms)} | ${pct(k.ms, W)} | ${pct(k.ms, p.kernelMs)} |`);
  lines.push(`| all kernels | ${calls(kernelCalls)} | ${f1(p.kernelMs)} | ${pct(p.kernelMs, W)} | 100% |`);
  lines.push('', '| where the step\'s wall time goes | ms | % of step |', '|---|---:|---:|');
  lines.push(`| wall time of the step | ${f1(W)} | 100% |`);
  lines.push(`| GPU kernel time (sum over dispatches) | ${f1(p.kernelMs)} | ${pct(p.kernelMs, W)} |`);
  lines.push(`| outside kernels (wall − kernels) | ${f1(W - p.kernelMs)} | ${pct(W - p.kernelMs, W)} |`);
  for (const [label, ms] of outside(p)) lines.push(`| · ${label} | ${f1(ms)} | ${pct(ms, W)} |`);
  if (p.kernelMs > p.times.waitMs) {
    lines.push('', `(The kernels' time exceeds the time spent waiting for the GPU: they were timed in other runs than the wall time${p.method === 'per-dispatch' ? ', one dispatch at a time' : ''}, or they overlapped JS; on a loaded machine the two drift apart.)`);
  }
  return lines;
}

function profileJson(p: StepProfile): unknown {
  const W = p.times.wallMs;
  return {
    ...p,
    date: new Date().toISOString(),
    wallMs: W,
    kernels: p.kernels.map((k) => ({ ...k, ofStep: k.ms / W, ofKernels: k.ms / p.kernelMs })),
    outsideKernels: { ms: W - p.kernelMs, parts: Object.fromEntries(outside(p).map(([label, ms]) => [label, ms])) },
  };
}
