// The PyTorch peer of the benchmarks (bench/peers/torch.ts, torch-peer.py): it computes our training
// step and our PGD step from a copy of our weights, the bench's agreement check refuses a peer that
// computes something else, and a failing or dead peer answers with an error instead of a hang.
// Skipped where no interpreter imports torch (`bash scripts/install.sh --bench` installs it).
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { cnnSmall } from '../src/nn/models.js';
import { SGD } from '../src/optim/index.js';
import { pgdTensors, resolvePgd, type PgdOptions } from '../src/robust/attacks.js';
import { trainEpoch } from '../src/train/loop.js';
import { checkTorch } from '../bench/pgd.js';
import { findTorchPython, startTorchPeer, type TorchPeer } from '../bench/peers/torch.js';

const py = findTorchPython();
const B = 8;
const batch = () => {
  const rng = new rl.Rng(4);
  return { xData: Float32Array.from(rng.fillUniform(B * 784)), y: Int32Array.from({ length: B }, (_, i) => (3 * i) % 10) };
};
/** cnn-small with `seed` and a peer holding its weights; dispose() ends both. */
const start = async (seed: number, xData: Float32Array, y: Int32Array): Promise<{ model: ReturnType<typeof cnnSmall>; peer: TorchPeer; dispose(): void }> => {
  const model = cnnSmall({ seed });
  const peer = await startTorchPeer(model, { data: xData, shape: [B, 1, 28, 28] }, y);
  if ('skipped' in peer) throw new Error(peer.skipped);
  return { model, peer, dispose: () => (peer.dispose(), model.dispose()) };
};

// Each test starts Python processes that import torch: seconds on an idle machine, far more on a busy one.
const SLOW = 300_000;

describe.skipIf('missing' in py)(`PyTorch peer (${'missing' in py ? py.missing : py.python})`, () => {
  it('takes our training step from a copy of our weights, with every core; another model does not', async () => {
    const { xData, y } = batch();
    const ours = await start(1, xData, y);
    const other = await start(7, xData, y);
    const opt = new SGD(ours.model.namedParameters(), { lr: 0.01, momentum: 0.9 });
    const x = rl.tensor(xData, [B, 1, 28, 28]);
    try {
      expect(ours.peer.threads).toBe(cpus().length);
      const mine: number[] = [];
      for (let i = 0; i < 2; i++) mine.push((await trainEpoch(ours.model, opt, [{ x, y }], undefined, { keepBatches: true, quiet: true })).loss);
      const same = await ours.peer.request<{ losses: number[]; ms: number[] }>({ cmd: 'train', steps: 2 });
      const wrong = await other.peer.request<{ losses: number[] }>({ cmd: 'train', steps: 2 });
      for (let i = 0; i < 2; i++) {
        expect(Math.abs(same.losses[i]! - mine[i]!)).toBeLessThan(1e-4 * mine[i]!);
        expect(same.ms[i]).toBeGreaterThan(0);
      }
      expect(mine[1]).not.toBe(mine[0]); // the update ran on both sides
      expect(Math.abs(wrong.losses[0]! - mine[0]!)).toBeGreaterThan(1e-3 * mine[0]!);
    } finally {
      for (const t of [x, opt, ours, other]) t.dispose();
    }
  }, SLOW);

  it("passes the PGD bench's agreement check, which refuses a peer holding other weights", async () => {
    const { xData, y } = batch();
    const a = await start(1, xData, y);
    const b = await start(7, xData, y);
    const x = rl.tensor(xData, [B, 1, 28, 28]);
    const ours = async (o: Partial<PgdOptions>, withLoss = false) => {
      const r = pgdTensors(a.model, x, y, resolvePgd('test', x, y, { eps: 0.1, alpha: 0.025, steps: 10, ...o }));
      const success = Float32Array.from(await r.success.data());
      const loss = withLoss ? Float32Array.from(await r.loss.data()).reduce((s, v) => s + v, 0) / B : NaN;
      for (const t of [r.success, r.loss, r.firstStep, r.cleanCorrect]) t.dispose();
      return { x: r.x, success, loss };
    };
    try {
      expect(await checkTorch(a.peer, ours)).toMatch(/mean losses after 1-3 steps agree/);
      await expect(checkTorch(b.peer, ours)).rejects.toThrow(/PyTorch does not compute our attack/);
      const r = await a.peer.request<{ ms: number; success: number }>({ cmd: 'pgd', steps: 2, eps: 0.1, alpha: 0.025, start: 'uniform', seed: 3 });
      expect(r.ms).toBeGreaterThan(0);
      expect(r.success).toBeGreaterThanOrEqual(0);
    } finally {
      for (const t of [x, a, b]) t.dispose();
    }
  }, SLOW);

  it('answers a bad request with its error, and one it does not answer in time with a rejection, not a hang', async () => {
    const { xData, y } = batch();
    const s = await start(1, xData, y);
    const { peer } = s;
    try {
      await expect(peer.request({ cmd: 'fly' })).rejects.toThrow(/unknown command 'fly'/);
      await expect(peer.request({ cmd: 'pgd', steps: 1, eps: 0.1, alpha: 0.01, start: 'sideways' })).rejects.toThrow(/unknown start/);
      await expect(peer.request({ cmd: 'pgd', steps: 1e7, eps: 0.1, alpha: 0.01, start: 'none' }, 300)).rejects.toThrow(/no answer within 0.3 s/);
      await expect(peer.request({ cmd: 'train', steps: 1 })).rejects.toThrow(/PyTorch peer/);
    } finally {
      s.dispose();
    }
    await expect(peer.request({ cmd: 'train', steps: 1 })).rejects.toThrow(/PyTorch peer/);
  }, SLOW);
});
