/// <reference lib="deno.ns" />
/**
 * robustlens against jax-js on Deno's own WebGPU (jax-js's supported server runtime), in one Deno
 * process on one adapter (each engine on its own device): the kernel cases of bench/jax-cases.ts,
 * each checked for agreement first, then timed with the runs of the two engines interleaved
 * round-robin (ours: `rl.init()`'s runtime drains its queue; jax-js: `blockUntilReady`). The
 * built package is used (dist/index.js: `npm run build` first). No ceilings and no training steps
 * here: those are in the Node harness (bench/jax.ts). Deno pays about 11 ms for every queue wait or
 * readback (/work/shared/perf-facts.md), both engines alike.
 *   npm run build && npx deno run --allow-all --unstable-sloppy-imports bench/deno/jax.ts [--reps N]
 * (`npm run bench -- jax-deno` does both.) Writes out/bench-jax-deno.json.
 */
// @ts-types="../../dist/index.d.ts"
import * as rl from '../../dist/index.js';
import * as jax from '../../node_modules/@jax-js/jax/dist/index.js';
import { checkAgreement, jaxCases } from '../jax-cases.js';

const r = Deno.args.indexOf('--reps');
const reps = r >= 0 ? Number(Deno.args[r + 1]) : 7;
if (!(Number.isInteger(reps) && reps >= 1)) throw new Error(`bench/deno/jax.ts: --reps needs a positive integer, got ${Deno.args[r + 1]}`);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};
const p3 = (x: number): string => x.toPrecision(3);

const engine = await rl.init();
const rt = engine.runtime;
if (!rt) {
  console.log('jax-deno: skipped: robustlens found no WebGPU adapter in Deno');
  Deno.exit(0);
}
const devices = await jax.init('webgpu');
if (!devices.includes('webgpu')) {
  console.log(`jax-deno: skipped: jax-js init('webgpu') found no device in Deno (devices: ${devices.join(', ')})`);
  rl.shutdown();
  Deno.exit(0);
}
jax.defaultDevice('webgpu');
const info = (jax.getWebGPUDevice() as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
const adapter = `${rt.adapter.runtime} ${rt.adapter.description || rt.adapter.device}`;
console.log(`robustlens vs jax-js on ${adapter}; jax-js's device: ${info?.description ?? '?'} (medians of ${reps}, interleaved)`);

const rows: Record<string, unknown>[] = [];
for (const make of jaxCases(rl, jax)) {
  const c = make();
  try {
    const agree = await checkAgreement(c);
    const oursRun = async (): Promise<void> => {
      const out = Array.from({ length: c.calls }, () => c.ours());
      await rt.sync();
      out.forEach((t) => t.dispose());
    };
    const jaxRuns = c.jax.map((v) => async (): Promise<void> => {
      const out = Array.from({ length: c.calls }, () => v.run());
      await jax.blockUntilReady(out);
      out.forEach((t) => t.dispose());
    });
    const runs = [oursRun, ...jaxRuns];
    for (const run of runs) await run(); // warm-up (the agreement check compiled)
    const times: number[][] = runs.map(() => []);
    for (let i = 0; i < reps; i++) {
      for (const [k, run] of runs.entries()) {
        const t0 = performance.now();
        await run();
        times[k]!.push((performance.now() - t0) / c.calls);
      }
    }
    const ours = median(times[0]!);
    const line = (label: string, t: number[], work: number): string => `${label}: ${p3(median(t))} ms (${p3(Math.min(...t))}-${p3(Math.max(...t))}), ${p3(work / median(t) / 1e6)} ${c.unit}`;
    console.log(`\n${c.op} ${c.shape}: ${agree.note}${c.calls > 1 ? `; ${c.calls} calls per wait` : ''}`);
    console.log(`  ${line('robustlens', times[0]!, c.work)}`);
    c.jax.forEach((v, k) => {
      const t = times[k + 1]!;
      const paired = times[0]!.map((x, i) => x / t[i]!);
      console.log(`  ${line(`jax-js ${v.label}`, t, v.work ?? c.work)}; robustlens/jax-js ${(ours / median(t)).toFixed(2)} (per round ${median(paired).toFixed(2)}, ${Math.min(...paired).toFixed(2)}-${Math.max(...paired).toFixed(2)})`);
      rows.push({ adapter, op: c.op, shape: c.shape, jax: v.label, oursMs: ours, jaxMs: median(t), ratio: ours / median(t), perRound: median(paired), oursAll: times[0], jaxAll: t, oursFirstMs: agree.oursFirstMs, jaxFirstMs: agree.jaxFirstMs[k], note: agree.note });
    });
  } finally {
    c.inputs();
  }
}
await Deno.mkdir('out', { recursive: true });
await Deno.writeTextFile('out/bench-jax-deno.json', JSON.stringify({ adapter, date: new Date().toISOString(), loadavg: Deno.loadavg(), reps, rows }, null, 2));
console.log('-> out/bench-jax-deno.json');
rl.shutdown();
Deno.exit(0);
