// `robustlens cka A B` (issue 15 item 7) on tiny MLPs and a user's .npy images: the matrix equals
// layerSimilarity on the same batches, JSON/SVG/HTML are written with the layer names, identical
// models give a unit diagonal, and the adversarial input sources give each model what they say.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { layerSimilarity } from '../src/analysis/features.js';
import { INPUT_SOURCES } from '../src/cli/cka-inputs.js';
import { Dataset } from '../src/data/dataset.js';
import { serializeNpy } from '../src/data/npy.js';
import { archMetadata, archSpec, buildArch } from '../src/nn/arch.js';
import { Rng } from '../src/node.js';
import { saveCheckpoint } from '../src/train/checkpoint-node.js';
import { captureConsole } from './helpers/capture.js';
import { npyFile } from './helpers/data-files.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-cli-cka-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const N = 24;
const spec = archSpec('mlp', { inChannels: 1, inputSize: 8, classes: 10 }, { hidden: [12] });
const pixels = Float32Array.from(new Rng(5).fillUniform(N * 64, 0, 1));
const labelValues = Int32Array.from({ length: N }, (_, i) => (i * 7) % 10);
const images = join(dir, 'x.npy');
const labels = join(dir, 'y.npy');
writeFileSync(images, serializeNpy(pixels, N, 64, 'float32'));
writeFileSync(labels, npyFile('<i4', [N], new Uint8Array(labelValues.buffer)));

async function checkpoint(name: string, seed: number): Promise<string> {
  const m = buildArch(spec, { seed });
  const path = join(dir, name);
  await saveCheckpoint(path, { model: m, metadata: { arch: archMetadata(spec) } });
  m.dispose();
  return path;
}
const A = await checkpoint('a.safetensors', 1);
const B = await checkpoint('b.safetensors', 2);
const user = ['--images', images, '--labels', labels, '--shape', '1,8,8', '--batch', '8', '--quiet'];

async function run(argv: string[]): Promise<{ code: number; json: any; err: string[] }> {
  const { out, err } = captureConsole();
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, json: code === 0 ? JSON.parse(out.join('\n')) : null, err };
}

describe('robustlens cka', () => {
  it('clean inputs: the matrix of layerSimilarity over the same batches, written as JSON, SVG and HTML with the layer names', async () => {
    const out = join(dir, 'clean');
    const r = await run(['cka', A, B, ...user, '--out', out]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.json.rows).toEqual(['1', '2', '3']);
    expect(r.json.rowLabels).toEqual(['1 (Linear)', '2 (ReLU)', '3 (Linear)']);
    expect([r.json.examples, r.json.batches, r.json.inputs.kind]).toEqual([N, 3, 'clean']);
    const a = buildArch(spec, { seed: 1 });
    const b = buildArch(spec, { seed: 2 });
    const { loadCheckpoint } = await import('../src/train/checkpoint-node.js');
    await loadCheckpoint(A, { model: a });
    await loadCheckpoint(B, { model: b });
    const set = new Dataset(pixels, labelValues, [1, 8, 8], 10, 'x');
    const batches = [...set.batches(8, { dropLast: true })].map((x) => x.x);
    try {
      const direct = await layerSimilarity(a, b, batches, { layers: ['1', '2', '3'] });
      r.json.values.forEach((row: number[], i: number) => row.forEach((v, j) => expect(v).toBeCloseTo(direct.values[i]![j]!, 6)));
      expect(Math.max(...r.json.values.flat())).toBeLessThan(0.9999); // two different models
    } finally {
      for (const t of batches) t.dispose();
      a.dispose();
      b.dispose();
    }
    const saved = JSON.parse(readFileSync(join(out, 'cka.json'), 'utf8'));
    expect(saved.values).toEqual(r.json.values);
    const svg = readFileSync(join(out, 'cka.svg'), 'utf8');
    const html = readFileSync(join(out, 'cka.html'), 'utf8');
    expect(svg).toMatch(/^<svg /);
    for (const label of ['1 (Linear)', '2 (ReLU)', '3 (Linear)']) {
      expect(svg).toContain(label);
      expect(html).toContain(label);
    }
    expect(html).toContain('<svg ');
    expect(html).not.toMatch(/<script|(src|href)=/); // self-contained: nothing to run or fetch
    expect(html).toContain(r.json.values[0][0].toFixed(4));
  });

  it('a model against itself: symmetric, with a unit diagonal, on clean inputs and on PGD examples shared from A', async () => {
    for (const inputs of ['clean', 'pgd-a']) {
      const r = await run(['cka', A, A, ...user, '--inputs', inputs, '--eps', '0.1', '--steps', '2', '--out', join(dir, inputs)]);
      expect(r.code, r.err.join('\n')).toBe(0);
      const v: number[][] = r.json.values;
      v.forEach((row, i) => {
        expect(row[i]).toBeCloseTo(1, 5);
        row.forEach((x, j) => expect(x).toBeCloseTo(v[j]![i]!, 5));
      });
      expect(r.json.inputs.description).toMatch(inputs === 'clean' ? /clean test images/ : /PGD-2 L∞ ε=0\.1 against model A, the same examples shown to both/);
    }
  });

  it('PGD per model: A and A attacked separately see different examples (the diagonal drops below 1)', async () => {
    const r = await run(['cka', A, A, ...user, '--inputs', 'pgd', '--eps', '0.2', '--steps', '2', '--out', join(dir, 'pgd')]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.json.inputs).toMatchObject({ kind: 'pgd', eps: 0.2, steps: 2, norm: 'linf' });
    expect(r.json.inputs.description).toMatch(/against each model: A sees the examples made against A, B those made against B/);
    expect(Math.min(...r.json.values.map((row: number[], i: number) => row[i]))).toBeLessThan(0.9999);
  });

  it('the input sources: clean shares the batch; pgd attacks each model in its own stream; pgd-a shows A\'s examples to both', async () => {
    const a = buildArch(spec, { seed: 1 });
    const b = buildArch(spec, { seed: 2 });
    const set = new Dataset(pixels, labelValues, [1, 8, 8], 10, 'x');
    const batch = set.batches(8).next().value!;
    const ctx = { a, b, eps: 0.1, steps: 3, alpha: 0.05, norm: 'linf' as const, seed: 4 };
    const clean = await INPUT_SOURCES.clean!(ctx).inputs(batch);
    const per = await INPUT_SOURCES.pgd!(ctx).inputs(batch);
    const shared = await INPUT_SOURCES['pgd-a']!(ctx).inputs(batch);
    try {
      expect([clean.a, clean.b]).toEqual([batch.x, batch.x]);
      expect(shared.b).toBe(shared.a);
      expect(per.b).not.toBe(per.a);
      // Per model, A's examples are those of the shared source (the same stream), B's are others.
      const gap = async (x: typeof per.a, y: typeof per.a) => {
        const [u, v] = [await x.data(), await y.data()];
        return Array.from(u).reduce((m: number, e: number, i: number) => Math.max(m, Math.abs(e - v[i]!)), 0);
      };
      expect(await gap(per.a, shared.a)).toBe(0);
      expect(await gap(per.a, per.b)).toBeGreaterThan(0);
      for (const x of [per.a, per.b]) {
        expect(await gap(x, batch.x)).toBeLessThanOrEqual(0.1 + 1e-6);
        expect((await x.data()).every((v) => v >= 0 && v <= 1)).toBe(true);
      }
    } finally {
      for (const t of [per.a, per.b, shared.a, batch.x]) t.dispose();
      a.dispose();
      b.dispose();
    }
  });

  it('an unknown layer lists the model\'s layers; too few images for a batch says what to change; wrong command lines exit 2', async () => {
    let r = await run(['cka', A, B, ...user, '--layers', '1,fc9']);
    expect(r.code).toBe(1);
    expect(r.err).toEqual(["robustlens cka: --layers: model A has no layer 'fc9'; its layers are 0, 1, 2, 3"]);
    r = await run(['cka', A, B, ...user, '--n', '6']);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/--batch 8: the 6 test images make no full batch; lower --batch/);
    r = await run(['cka', A]);
    expect(r.code).toBe(2);
    r = await run(['cka', A, B, '--inputs', 'fgsm']);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--inputs must be one of clean, pgd, pgd-a, got 'fgsm'/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
