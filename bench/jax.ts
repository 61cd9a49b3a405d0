/**
 * robustlens against jax-js (bench/peers/jax.ts) on WebGPU, in this process, on the same adapter
 * (jax-js on its own device): square matmul (256, 512, 1024), the elementwise chain of
 * bench/elementwise.ts (jax-js eager and jit-fused), two reductions, and training steps of an MLP
 * and of cnn-small (bench/jax-train-step.ts).
 *
 * Both engines get the same input numbers. Before anything is timed each case checks that the two
 * outputs agree with each other and, at sampled entries, with a float64 computation on the host
 * (the training steps: the losses of two steps). Each engine waits with its own blocking call (ours:
 * the queue drains; jax-js: `blockUntilReady`, a zero-byte readback), short cases repeat several
 * calls per wait, and the timed runs of the two are interleaved round-robin
 * (harness.timeInterleaved), so a change of machine load hits both alike. Rows give
 * medians and, in the note, the spread (min-max) of each engine's runs.
 */
import * as rl from '../src/node.js';
import { checkAgreement, jaxCases, type Case } from './jax-cases.js';
import { jaxTrainSteps } from './jax-train-step.js';
import { jaxWebGpu, type JaxPeer } from './peers/jax.js';
import { pairedRatio, timeInterleaved, type BenchContext, type Row } from './harness.js';

type JArray = import('@jax-js/jax').Array;

const spread = (xs: readonly number[], per: number): string => `${(Math.min(...xs) / per).toPrecision(3)}-${(Math.max(...xs) / per).toPrecision(3)}`;

export async function benchJax(ctx: BenchContext): Promise<Row[]> {
  const { rt } = ctx;
  const loaded = await jaxWebGpu(rt);
  if ('skipped' in loaded) {
    console.log(`jax: skipped: ${loaded.skipped}`);
    return [{ adapter: ctx.adapter, op: 'jax-js WebGPU: skipped', shape: '-', ms: NaN, rate: NaN, unit: 'GFLOP/s', note: `skipped: ${loaded.skipped}` }];
  }
  const peer = loaded.peer;
  console.log(`jax: jax-js WebGPU on ${peer.adapter} (its own device on our adapter)`);
  const rows: Row[] = [];
  for (const make of jaxCases(rl, peer.jax)) rows.push(...(await runCase(ctx, peer, make())));
  rows.push(...(await jaxTrainSteps(ctx, peer)));
  return rows;
}

/** Check agreement, then time ours and each jax-js variant interleaved; one row per engine/variant. */
async function runCase(ctx: BenchContext, peer: JaxPeer, c: Case): Promise<Row[]> {
  const { rt } = ctx;
  const { jax } = peer;
  try {
    const { note: agreement, oursFirstMs, jaxFirstMs } = await checkAgreement(c);

    const oursRun = async (): Promise<void> => {
      const out: rl.Tensor[] = [];
      for (let k = 0; k < c.calls; k++) out.push(c.ours());
      await rt.sync();
      out.forEach((t) => t.dispose());
    };
    const jaxRuns = c.jax.map((v) => async (): Promise<void> => {
      const out: JArray[] = [];
      for (let k = 0; k < c.calls; k++) out.push(v.run());
      await jax.blockUntilReady(out);
      out.forEach((t) => t.dispose());
    });
    const [o, ...js] = await timeInterleaved(rt, [
      { run: oursRun, reps: ctx.reps },
      ...jaxRuns.map((run) => ({ run, reps: ctx.reps })),
    ]);
    const per = c.calls;
    const ms = o!.ms / per;
    const best = Math.min(...js.map((j) => j.ms)) / per;
    const rate = (t: number, work = c.work): number => work / t / 1e6;
    const callsNote = per > 1 ? `${per} calls per wait; ` : '';
    const rows: Row[] = [{
      adapter: ctx.adapter, op: c.op, shape: c.shape, ms, compileMs: oursFirstMs, rate: rate(ms), unit: c.unit,
      vsJax: best / ms, jaxMs: best,
      note: `${callsNote}${agreement}; vs jax-js: ${c.jax.length > 1 ? 'its fastest variant' : c.jax[0]!.label}; ours ${spread(o!.all, per)} ms over ${o!.all.length} runs`,
    }];
    js.forEach((j, k) => {
      const jm = j.ms / per;
      const pr = pairedRatio(o!.all, j.all);
      rows.push({
        adapter: ctx.adapter, op: `${c.op}, jax-js ${c.jax[k]!.label}`, shape: c.shape, ms: jm, compileMs: jaxFirstMs[k], rate: rate(jm, c.jax[k]!.work), unit: c.unit,
        note: `the peer, its own device on our adapter; robustlens/jax-js time ${(ms / jm).toFixed(2)} (per round: median ${pr.median.toFixed(2)}, ${pr.min.toFixed(2)}-${pr.max.toFixed(2)}); ${spread(j.all, per)} ms over ${j.all.length} runs${c.jax[k]!.work ? '; rate counts the fused traffic' : ''}`,
      });
    });
    return rows;
  } finally {
    c.inputs();
  }
}
