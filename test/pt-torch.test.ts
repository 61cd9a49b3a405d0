// The .pt reader against real PyTorch (Debian's python3-torch; CI installs it with
// `bash scripts/install.sh --torch`). test/helpers/torch_export.py builds each zoo architecture in
// PyTorch (examples/pytorch/zoo.py, the same state-dict names), initialises it with torch's RNG,
// torch.saves it (zip and legacy formats) with images and torch's logits; here the .pt loads into our
// model, whose logits must equal torch's: float32 on the GPU, float64 on the CPU backend against torch
// in double precision. Also every dtype, strided views, and torch.load reading our hand-made files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { captureConsole } from './helpers/capture.js';
import * as rl from '../src/node.js';
import { FormatError } from '../src/errors.js';
import { readNpyFile } from '../src/data/fs-node.js';
import { loadCheckpoint } from '../src/train/checkpoint-node.js';
import { parseCheckpoint } from '../src/data/checkpoint.js';
import { parsePt } from '../src/data/pt.js';
import type { StTensor } from '../src/data/safetensors.js';
import { createModel, type CreateModelOptions } from '../src/nn/models.js';
import { expectClose } from './helpers/oracle.js';
import { SAMPLE_STORAGES, SAMPLE_VIEWS, ptLegacy, ptZip } from './helpers/pt-files.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  tag: string;
  model: string;
  tsOptions: CreateModelOptions;
  pyOptions: Record<string, unknown>;
  inChannels: number;
  inputSize: number;
  n: number;
}
const CASES: Case[] = [
  { tag: 'cnn-small', model: 'cnn-small', tsOptions: {}, pyOptions: {}, inChannels: 1, inputSize: 28, n: 4 },
  { tag: 'cnn-small-cifar', model: 'cnn-small', tsOptions: {}, pyOptions: {}, inChannels: 3, inputSize: 32, n: 4 },
  { tag: 'small-cnn-trades', model: 'small-cnn-trades', tsOptions: {}, pyOptions: {}, inChannels: 1, inputSize: 28, n: 4 },
  { tag: 'plain-cnn', model: 'plain-cnn', tsOptions: { depth: 6, widthScale: 0.5 }, pyOptions: { depth: 6, width_scale: 0.5 }, inChannels: 3, inputSize: 32, n: 4 },
  { tag: 'resnet-small', model: 'resnet-small', tsOptions: { width: 8, blocks: [1, 1, 1] }, pyOptions: { width: 8, blocks: [1, 1, 1] }, inChannels: 3, inputSize: 32, n: 4 },
  { tag: 'mlp', model: 'mlp', tsOptions: { hidden: [32, 16] }, pyOptions: { hidden: [32, 16] }, inChannels: 1, inputSize: 12, n: 4 },
];

const TORCH_DTYPES: Record<string, string> = {
  'torch.float32': 'F32', 'torch.float64': 'F64', 'torch.float16': 'F16', 'torch.bfloat16': 'BF16', 'torch.int64': 'I64',
  'torch.int32': 'I32', 'torch.int16': 'I16', 'torch.int8': 'I8', 'torch.uint8': 'U8', 'torch.bool': 'BOOL',
};

/** The first python3 that imports torch and numpy: $ROBUSTLENS_TORCH_PYTHON, Debian's /usr/bin/python3, then PATH's. */
function torchPython(): string | null {
  for (const py of [process.env.ROBUSTLENS_TORCH_PYTHON, '/usr/bin/python3', 'python3']) {
    if (py && spawnSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore', timeout: 120_000 }).status === 0) return py;
  }
  return null;
}

type Described = Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;

/** Our parse of a file equals what torch read (dtype, shape, every value; int64 exactly). */
function expectSameAsTorch(ours: Map<string, StTensor>, torch: Described, what: string): void {
  expect([...ours.keys()].sort(), what).toEqual(Object.keys(torch).sort());
  for (const [k, t] of Object.entries(torch)) {
    const o = ours.get(k)!;
    expect([k, o.dtype, o.shape], what).toEqual([k, TORCH_DTYPES[t.dtype], t.shape]);
    const got = Array.from(o.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? String(v) : v));
    expect(got, `${what}: ${k}`).toEqual(t.values);
  }
}

/** Run torch_export.py into `dir` (with the hand-made files for torch.load to read), or throw saying how to install PyTorch. */
function exportWithTorch(): void {
  const py = torchPython();
  if (!py) {
    throw new Error('PyTorch is not installed, and these tests compare with real PyTorch. Install it with `bash scripts/install.sh --torch` ' +
      '(on Debian 12: apt-get install -y python3-torch python3-numpy), or set ROBUSTLENS_TORCH_PYTHON to a python3 that imports torch and numpy.');
  }
  const hand = [['handmade.pt', ptZip(SAMPLE_VIEWS, SAMPLE_STORAGES)], ['handmade-zip64.pt', ptZip(SAMPLE_VIEWS, SAMPLE_STORAGES, { saturate: true })], ['handmade-legacy.pt', ptLegacy(SAMPLE_VIEWS, SAMPLE_STORAGES)]] as const;
  for (const [name, bytes] of hand) writeFileSync(join(dir, name), bytes);
  const r = spawnSync(py, [new URL('./helpers/torch_export.py', import.meta.url).pathname, dir, JSON.stringify(CASES), ...hand.map(([n]) => join(dir, n))], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0 || r.stdout.trim() !== 'ok') throw new Error(`torch_export.py failed (status ${r.status}): ${r.stderr.slice(-3000)}`);
}

/** Set when PyTorch is missing or its export failed: then every test fails with it (never a silent skip). */
let setupError: Error | null = null;

/** A test that needs the files torch_export.py wrote. */
function itTorch(name: string, fn: () => Promise<void> | void, timeout?: number): void {
  it(name, async () => {
    if (setupError) throw setupError;
    await fn();
  }, timeout);
}

describe('PyTorch interop (real torch.save files)', () => {
  beforeAll(() => {
    try {
      exportWithTorch();
    } catch (e) {
      setupError = e as Error;
    }
  }, 320_000);

  for (const c of CASES) {
    itTorch(`${c.tag} (${c.inChannels}×${c.inputSize}×${c.inputSize}): a torch.save state dict gives torch's logits, f32 on the GPU and f64 on the CPU`, async () => {
      const x = await readNpyFile(join(dir, `${c.tag}-x.npy`));
      const want32 = (await readNpyFile(join(dir, `${c.tag}-l32.npy`))).data;
      const want64 = (await readNpyFile(join(dir, `${c.tag}-l64.npy`))).data;
      const shape = [c.n, c.inChannels, c.inputSize, c.inputSize];
      const run = async (backend: rl.Backend<any>, file: string): Promise<number[]> => {
        const model = createModel(c.model, { ...c.tsOptions, inChannels: c.inChannels, inputSize: c.inputSize, backend });
        try {
          await loadCheckpoint(join(dir, file), { model });
          const input = rl.tensor(x.data, shape, { backend });
          const logits = rl.noGrad(() => model.eval().forward(input));
          const out = Array.from(await logits.data());
          input.dispose();
          logits.dispose();
          return out;
        } finally {
          model.dispose();
        }
      };
      expectClose(await run(rl.getBackend(), `${c.tag}.pt`), want32, { rtol: 1e-4, atol: 1e-5 }, `${c.tag} GPU vs torch float32`);
      expectClose(await run(rl.cpu, `${c.tag}.pt`), want64, { rtol: 1e-10, atol: 1e-12 }, `${c.tag} CPU float64 vs torch float64`);
      // The legacy format holds the same tensors.
      const zip = parseCheckpoint(readFileSync(join(dir, `${c.tag}.pt`)), 'zip').model;
      const legacy = parseCheckpoint(readFileSync(join(dir, `${c.tag}-legacy.pt`)), 'legacy').model;
      expect([...legacy.keys()]).toEqual([...zip.keys()]);
      for (const [k, t] of zip) expect(Array.from(legacy.get(k)!.data as ArrayLike<number>), k).toEqual(Array.from(t.data as ArrayLike<number>));
    }, 120_000);
  }

  itTorch('every dtype, transposed, sliced, expanded and permuted views, scalars, Parameters: zip, legacy format and pickle protocol 4', () => {
    const torch = JSON.parse(readFileSync(join(dir, 'dtypes.json'), 'utf8')) as Described;
    const zip = parsePt(readFileSync(join(dir, 'dtypes.pt')), 'dtypes.pt');
    expect(zip.format).toBe('zip');
    expectSameAsTorch(zip.tensors, torch, 'dtypes.pt');
    const legacy = parsePt(readFileSync(join(dir, 'dtypes-legacy.pt')), 'dtypes-legacy.pt');
    expect(legacy.format).toBe('legacy');
    expectSameAsTorch(legacy.tensors, torch, 'dtypes-legacy.pt');
    expectSameAsTorch(parsePt(readFileSync(join(dir, 'dtypes-p4.pt')), 'dtypes-p4.pt').tensors, torch, 'dtypes-p4.pt (pickle protocol 4)');
    // Spot checks that do not rest on the JSON: a transposed 4×5 and an int64 beyond 2^53.
    expect(Array.from(zip.tensors.get('transposed')!.data as Float32Array).slice(0, 4)).toEqual([-1, 0.25, 1.5, 2.75]);
    expect((zip.tensors.get('i64')!.data as BigInt64Array)[0]).toBe(2n ** 53n + 1n);
  });

  itTorch('a torch.save file whose object calls os.system in __reduce__ is refused, and the payload never runs', async () => {
    for (const name of ['malicious.pt', 'malicious-legacy.pt']) {
      expect(() => parsePt(readFileSync(join(dir, name)), name)).toThrow(/the pickle names the global posix\.system, which is not allowed.*Nothing in the file was run/);
      const model = createModel('mlp', { inputSize: 2, hidden: [2] });
      await expect(loadCheckpoint(join(dir, name), { model })).rejects.toThrow(FormatError);
      model.dispose();
    }
    expect(existsSync(join(dir, 'PAYLOAD-RAN'))).toBe(false);
  });

  itTorch('torch.load(weights_only=True) reads the hand-made files of pt-format.test.ts to the same tensors', () => {
    const torch = JSON.parse(readFileSync(join(dir, 'handmade.json'), 'utf8')) as Record<string, Described>;
    for (const name of ['handmade.pt', 'handmade-zip64.pt', 'handmade-legacy.pt']) expectSameAsTorch(parsePt(readFileSync(join(dir, name)), name).tensors, torch[name]!, name);
  });

  itTorch('the CLI evaluates PyTorch models on NumPy images and labels: attack MODEL.pt --images --labels --shape', async () => {
    const { out } = captureConsole();
    try {
      for (const c of CASES.filter((k) => k.model === 'cnn-small' || k.model === 'small-cnn-trades')) {
        out.length = 0;
        const file = (suffix: string): string => join(dir, `${c.tag}${suffix}`);
        const args = ['attack', file('.pt'), '--model', c.model, '--images', file('-x.npy'), '--labels', file('-y.npy'), '--shape', `${c.inChannels},${c.inputSize},${c.inputSize}`, '--attack', 'fgsm', '--eps', '0', '--quiet', '--json'];
        expect(await main(args), c.tag).toBe(0);
        const r = JSON.parse(out.join('\n'));
        expect([c.tag, r.n, r.cleanAccuracy]).toEqual([c.tag, c.n, (c.n - 1) / c.n]);
        // AutoAttack on the PyTorch model, as the README shows (short runs: few iterations and queries).
        out.length = 0;
        const aa = [...args.slice(0, -6), '--attack', 'autoattack', '--eps', '0.05', '--steps', '3', '--n-queries', '10', '--no-masking', '--quiet', '--json'];
        expect(await main(aa), c.tag).toBe(0);
        const a = JSON.parse(out.join('\n'));
        expect(Object.keys(a.perAttack)).toEqual(['apgd-ce', 'apgd-t', 'square']);
        expect(a.cleanAccuracy).toBe(r.cleanAccuracy);
        expect(a.worstCase).toBeLessThanOrEqual(a.cleanAccuracy);
      }
    } finally {
      vi.restoreAllMocks();
    }
  }, 120_000);

  itTorch('a state dict of another architecture is refused naming the tensor and both shapes', async () => {
    const model = createModel('cnn-small', { inChannels: 1, inputSize: 28 });
    try {
      await expect(loadCheckpoint(join(dir, 'cnn-small-cifar.pt'), { model })).rejects.toThrow(/"0\.weight" has shape \[32, 3, 3, 3\] in the file but \[32, 1, 3, 3\] in the model/);
      await expect(loadCheckpoint(join(dir, 'small-cnn-trades.pt'), { model })).rejects.toThrow(/missing from the file: 0\.weight/);
    } finally {
      model.dispose();
    }
  });
});
