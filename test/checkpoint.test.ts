// Checkpoints (safetensors) of modules and optimizers: PyTorch state_dict names and layouts,
// atomic save, validated load into a module and an optimizer, clear errors for bad files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../src/errors.js';
import { Module } from '../src/nn/module.js';
import { tensor } from '../src/ops/creation.js';
import type { Optimizer } from '../src/optim/optimizer.js';
import { Rng } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';
import { parseCheckpoint, serializeCheckpoint } from '../src/data/checkpoint.js';
import { parseSafetensors } from '../src/data/safetensors.js';
import { checkpointBytes, loadStateDict } from '../src/train/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint-node.js';

const tmp = mkdtempSync(join(tmpdir(), 'rl-checkpoint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A leaf holding the given parameters and buffers under their local names. */
class Leaf extends Module {
  constructor(
    readonly params: [string, Tensor][],
    readonly buffers: [string, Tensor][] = [],
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  protected override ownParameters(): [string, Tensor][] {
    return this.params;
  }
  protected override ownBuffers(): [string, Tensor][] {
    return this.buffers;
  }
}
/** A two-level module with PyTorch-style names: features.0.weight/bias, bn.running_mean, bn.num_batches_tracked. */
class Net extends Module {
  features: Leaf;
  bn: Leaf;
  constructor(seed: number, wShape = [3, 2, 1, 1]) {
    super();
    const r = new Rng(seed);
    const n = wShape.reduce((a, b) => a * b, 1);
    this.features = new Leaf([['weight', tensor(r.fillNormal(n), wShape)], ['bias', tensor(r.fillNormal(3), [3])]]);
    this.bn = new Leaf([], [['running_mean', tensor(r.fillNormal(2), [2])], ['num_batches_tracked', tensor([seed], [], { dtype: 'int32' })]]);
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  override children(): [string, Module][] {
    return [['features', new Seq(this.features)], ['bn', this.bn]];
  }
}
class Seq extends Module {
  constructor(readonly m: Module) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  override children(): [string, Module][] {
    return [['0', this.m]];
  }
}
/** An optimizer stand-in that only holds named state (what checkpoints need). */
function fakeOptimizer(seed: number): Optimizer {
  const m = tensor(new Rng(seed).fillNormal(6), [3, 2, 1, 1]);
  return { lr: 0.1, step() {}, state: () => [['momentum.features.0.weight', m]], dispose: () => m.dispose() };
}

async function values(m: Module): Promise<number[][]> {
  const out: number[][] = [];
  for (const [, t] of [...m.namedParameters(), ...m.namedBuffers()]) out.push(Array.from(await t.data()));
  return out;
}

describe('checkpoints (safetensors)', () => {
  it('use PyTorch state_dict names and layouts; optimizer state under optimizer/', async () => {
    const net = new Net(1);
    const opt = fakeOptimizer(1);
    const ck = parseSafetensors(await checkpointBytes({ model: net, optimizer: opt, metadata: { epoch: 4, note: 'x' } }));
    expect([...ck.tensors.keys()]).toEqual(['features.0.weight', 'features.0.bias', 'bn.running_mean', 'bn.num_batches_tracked', 'optimizer/momentum.features.0.weight']);
    expect(ck.tensors.get('features.0.weight')!.shape).toEqual([3, 2, 1, 1]);
    expect(ck.tensors.get('bn.num_batches_tracked')!.dtype).toBe('I32');
    expect(ck.metadata).toEqual({ format: 'pt', producer: 'robustlens', epoch: '4', note: 'x' });
    // The module binding only names the tensors: the format on named tensors writes the same bytes.
    const named = await serializeCheckpoint({ model: [...net.namedParameters(), ...net.namedBuffers()], optimizer: opt.state(), metadata: { epoch: 4, note: 'x' } });
    expect(named).toEqual(await checkpointBytes({ model: net, optimizer: opt, metadata: { epoch: 4, note: 'x' } }));
    net.dispose();
    opt.dispose();
  });

  it('save → load round trip into the same tensors (in place), atomically, leaving no temp files', async () => {
    const dir = mkdtempSync(join(tmp, 'ck-'));
    const path = join(dir, 'a.safetensors');
    const src = new Net(1);
    const so = fakeOptimizer(1);
    await saveCheckpoint(path, { model: src, optimizer: so, metadata: { epoch: 1 } });
    await saveCheckpoint(path, { model: src, optimizer: so, metadata: { epoch: 2 } }); // overwrite
    expect(readdirSync(dir)).toEqual(['a.safetensors']);
    const dst = new Net(2);
    const dOpt = fakeOptimizer(2);
    const before = dst.features.params[0]![1];
    const ck = await loadCheckpoint(path, { model: dst, optimizer: dOpt });
    expect(ck.metadata.epoch).toBe('2');
    expect(dst.features.params[0]![1]).toBe(before);
    const want = await values(src);
    const got = await values(dst);
    want.forEach((w, i) => w.forEach((v, j) => expect(got[i]![j]).toBeCloseTo(v, 6)));
    expect(Array.from(await dOpt.state()[0]![1].data())).toEqual(Array.from(await so.state()[0]![1].data()));
    for (const x of [src, dst, so, dOpt]) x.dispose();
  });

  it('a failed write leaves no file and no temp file behind', async () => {
    const net = new Net(1);
    // The parent "directory" is a plain file: the directory cannot be created, the write fails.
    writeFileSync(join(tmp, 'plain-file'), 'x');
    await expect(saveCheckpoint(join(tmp, 'plain-file', 'b.safetensors'), { model: net })).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    net.dispose();
  });

  it('refuses shape mismatches, missing and extra names, wrong dtypes, and leaves the model untouched', async () => {
    const bytes = await (async () => {
      const n = new Net(1);
      const b = await checkpointBytes({ model: n });
      n.dispose();
      return b;
    })();
    const ck = parseCheckpoint(bytes, 'c.st');
    const other = new Net(3, [3, 2, 1, 2]);
    const snapshot = await values(other);
    expect(() => loadStateDict(other, ck.model, { file: 'c.st' })).toThrow(/c\.st: model tensor "features\.0\.weight" has shape \[3, 2, 1, 1\] in the file but \[3, 2, 1, 2\] in the model/);
    expect(await values(other)).toEqual(snapshot);
    other.dispose();

    const net = new Net(4);
    const missing = new Map(ck.model);
    missing.delete('bn.running_mean');
    expect(() => loadStateDict(net, missing)).toThrow(/1 model tensor\(s\) missing from the file: bn\.running_mean/);
    const extra = new Map(ck.model);
    extra.set('head.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    expect(() => loadStateDict(net, extra)).toThrow(/does not have: head\.weight.*strict: false/);
    loadStateDict(net, extra, { strict: false });
    const wrong = new Map(ck.model);
    wrong.set('features.0.bias', { dtype: 'I32', shape: [3], data: new Int32Array(3) });
    expect(() => loadStateDict(net, wrong)).toThrow(/"features\.0\.bias" is stored as I32 but the model tensor is float32/);
    const i64 = new Map(ck.model);
    i64.set('bn.num_batches_tracked', { dtype: 'I64', shape: [], data: BigInt64Array.from([77n]) });
    loadStateDict(net, i64);
    expect(Array.from(await net.bn.buffers[1]![1].data())).toEqual([77]);
    i64.set('bn.num_batches_tracked', { dtype: 'I64', shape: [], data: BigInt64Array.from([1n << 40n]) });
    expect(() => loadStateDict(net, i64)).toThrow(/does not fit int32/);
    net.dispose();
  });

  it('a truncated or corrupted checkpoint file is a FormatError naming the file', async () => {
    const path = join(tmp, 'c.safetensors');
    const net = new Net(1);
    await saveCheckpoint(path, { model: net });
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 5));
    await expect(loadCheckpoint(path, { model: net })).rejects.toThrow(new RegExp(`safetensors ${path}: .*reach beyond`));
    writeFileSync(path, full.subarray(0, 6));
    await expect(loadCheckpoint(path)).rejects.toThrow(FormatError);
    net.dispose();
  });
});
