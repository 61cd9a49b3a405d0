// Checkpoints describe themselves (issue 17 item 3), each path: a recorded architecture needs no
// --model; --model overrides it and one line says which won; a file holding only the model's name
// (older checkpoints) takes its geometry from the data; a file without metadata loads with --model;
// the study's loader rebuilds what the checkpoint records. (A file without metadata and no --model,
// and a recorded geometry the data does not fit: cli-files.unit.test.ts.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { serializeNpy } from '../src/data/npy.js';
import { archMetadata, archSpec, buildArch, type ArchSpec } from '../src/nn/arch.js';
import { Rng } from '../src/node.js';
import { studyConfig } from '../src/study/config.js';
import { checkpointPath, loadBest } from '../src/study/models.js';
import { saveCheckpoint } from '../src/train/checkpoint-node.js';
import { captureConsole } from './helpers/capture.js';
import { npyFile } from './helpers/data-files.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-cli-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const N = 8;
const images = join(dir, 'x.npy');
const labels = join(dir, 'y.npy');
writeFileSync(images, serializeNpy(Float32Array.from(new Rng(3).fillUniform(N * 64, 0, 1)), N, 64, 'float32'));
writeFileSync(labels, npyFile('<i4', [N], new Uint8Array(Int32Array.from({ length: N }, (_, i) => i % 10).buffer)));
const user = ['--images', images, '--labels', labels, '--shape', '1,8,8', '--n', '8'];

async function save(name: string, spec: ArchSpec, metadata: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  const m = buildArch(spec, { seed: 4 });
  await saveCheckpoint(path, { model: m, metadata });
  m.dispose();
  return path;
}

const small = archSpec('mlp', { inChannels: 1, inputSize: 8, classes: 10 }, { hidden: [6] });
const plain = archSpec('mlp', { inChannels: 1, inputSize: 8, classes: 10 }); // hidden [128], the default

async function logits(argv: string[]) {
  const { out, err } = captureConsole();
  const code = await main(['logits', ...argv, ...user]);
  vi.restoreAllMocks();
  return { code, err, n: code === 0 ? JSON.parse(out.join('\n')).n : null };
}

describe('the architecture comes from the checkpoint', () => {
  it('a recorded architecture (with options) needs no --model, and the same --model changes nothing', async () => {
    const ckpt = await save('recorded.safetensors', small, { arch: archMetadata(small) });
    for (const extra of [[], ['--model', 'mlp']]) {
      const r = await logits([ckpt, ...extra]);
      expect(r.code, r.err.join('\n')).toBe(0);
      expect(r.n).toBe(N);
      expect(r.err).toEqual([]);
    }
  });

  it('--model overrides the recorded architecture: one line says which won, and the file is loaded as that', async () => {
    const ckpt = await save('override.safetensors', small, { arch: archMetadata(small) });
    const r = await logits([ckpt, '--model', 'cnn-small']);
    expect(r.err[0]).toBe(`robustlens: --model cnn-small overrides the architecture ${ckpt} records (mlp); loading it as cnn-small`);
    // The mlp's tensors do not fit a cnn-small: the override did win.
    expect(r.code).toBe(1);
    expect(r.err[1]).toMatch(/"3\.weight" has shape \[10, 6\] in the file but \[64, 32, 3, 3\] in the model/);
  });

  it('an older checkpoint naming only its model takes the geometry from the data', async () => {
    for (const metadata of [{ arch: 'mlp' }, { model: 'mlp' }]) {
      const r = await logits([await save('named.safetensors', plain, metadata)]);
      expect(r.code, r.err.join('\n')).toBe(0);
      expect(r.n).toBe(N);
    }
  });

  it('a file without metadata (a PyTorch export) loads with --model', async () => {
    const r = await logits([await save('export.safetensors', plain, {}), '--model', 'mlp']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.err).toEqual([]);
  });

  it('the study\'s loader rebuilds the recorded architecture, and the study\'s own one for older files', async () => {
    const cfg = studyConfig({ quick: true, outDir: join(dir, 'study') });
    // Not the study's own deep CNN (depth 6, width 0.5): only the metadata can say how to build it.
    const recorded = archSpec('plain-cnn', { inChannels: 1, inputSize: 28, classes: 10 }, { depth: 4, widthScale: 0.25 });
    const spec = { name: 'deep-standard', arch: 'plain-cnn' as const };
    const path = checkpointPath(cfg, spec.name, 0, 'best');
    const write = async (metadata: Record<string, unknown>, a: ArchSpec) => {
      const m = buildArch(a, { seed: 1 });
      await saveCheckpoint(path, { model: m, metadata });
      m.dispose();
    };
    await write({ arch: archMetadata(recorded) }, recorded);
    const m = await loadBest(spec, cfg, 0);
    const convWidths = (x: typeof m) => x!.namedParameters().filter(([, t]) => t.rank === 4).map(([, t]) => t.shape[0]);
    expect(convWidths(m)).toEqual([8, 8, 16, 16]);
    m!.dispose();
    const own = archSpec('plain-cnn', { inChannels: 1, inputSize: 28, classes: 10 }, { depth: cfg.sizes.deepDepth, widthScale: cfg.sizes.deepWidth });
    await write({ arch: 'plain-cnn' }, own);
    const legacy = await loadBest(spec, cfg, 0);
    expect(convWidths(legacy)).toEqual([16, 16, 32, 32, 64, 64].slice(0, cfg.sizes.deepDepth));
    legacy!.dispose();
  });
});
