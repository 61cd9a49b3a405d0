// `robustlens distill TEACHER` (issue 15 item 7) on small generated CIFAR-10 batches: the student
// learns the teacher's (manipulated) logits on clean images, is evaluated clean and under PGD, and
// is saved as a checkpoint that records its architecture.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { MANIPULATIONS } from '../src/analysis/distill.js';
import { MANIPULATE } from '../src/cli/distill.js';
import { loadCifar10Dir } from '../src/data/datasets-node.js';
import { archMetadata, archSpec, buildArch, describeArch } from '../src/nn/arch.js';
import type { Module } from '../src/nn/module.js';
import { noGrad, tensor } from '../src/node.js';
import { loadModel, saveCheckpoint } from '../src/train/checkpoint-node.js';
import { captureConsole } from './helpers/capture.js';
import { cifarDir } from './helpers/data-files.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-cli-distill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const data = cifarDir(join(dir, 'cifar'), [], { train: 8, test: 6 });
const spec = archSpec('mlp', { inChannels: 3, inputSize: 32, classes: 10 }, { hidden: [16] });
const teacherPath = join(dir, 'teacher.safetensors');
const teacherModel = buildArch(spec, { seed: 11 });
await saveCheckpoint(teacherPath, { model: teacherModel, metadata: { arch: archMetadata(spec) } });
teacherModel.dispose();
const common = ['--data', 'cifar10', '--data-dir', data, '--batch', '8', '--eps', '0.03', '--steps', '2', '--quiet'];

/** Mean over the images of KL(softmax(t/T) ‖ softmax(s/T)), in float64 from the two models' logits. */
async function kl(teacher: Module, student: Module, x: Float32Array, n: number, T = 4): Promise<number> {
  const input = tensor(x, [n, 3, 32, 32]);
  const [zt, zs] = [noGrad(() => teacher.eval().forward(input)), noGrad(() => student.eval().forward(input))];
  const [t, s] = [await zt.data(), await zs.data()];
  [input, zt, zs].forEach((v) => v.dispose());
  const logSoftmax = (z: ArrayLike<number>, i: number): number[] => {
    const row = Array.from({ length: 10 }, (_, j) => z[i * 10 + j]! / T);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    return row.map((v) => v - lse);
  };
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const [lt, ls] = [logSoftmax(t, i), logSoftmax(s, i)];
    sum += lt.reduce((a, v, j) => a + Math.exp(v) * (v - ls[j]!), 0);
  }
  return sum / n;
}

describe('robustlens distill', () => {
  it('the command-line names map to methods.md §4 variants 1, 3, 4 and 5', () => {
    expect(MANIPULATE).toEqual({ none: 'none', shuffle: 'shuffleNonMax', remove: 'flattenNonMax', swap: 'swapConfidence' });
    expect(Object.values(MANIPULATE).sort()).toEqual([...MANIPULATIONS].sort());
  });

  it('trains the student towards the teacher\'s logits, evaluates it clean and under PGD, and saves it with its architecture', async () => {
    const out = join(dir, 'none');
    const { out: stdout, err } = captureConsole();
    const code = await main(['distill', teacherPath, ...common, '--epochs', '4', '--lr', '0.05', '--json', '--out', out]);
    expect(code, err.join('\n')).toBe(0);
    const r = JSON.parse(stdout.join('\n'));
    expect(r).toMatchObject({ teacher: teacherPath, manipulate: 'none', temperature: 4, alpha: 0, epochs: 4, student: describeArch(spec) });
    expect(r.losses).toHaveLength(4);
    expect(r.evaluation.n).toBe(6);
    expect(r.evaluation.robustAccuracy).toBeLessThanOrEqual(r.evaluation.cleanAccuracy);
    expect(JSON.parse(readFileSync(join(out, 'distill.json'), 'utf8'))).toEqual(r);
    // The saved student rebuilds from its own metadata, and it is closer to the teacher than the
    // initialisation it started from (the same seed, 0) on the training images.
    const student = await loadModel(r.checkpoint);
    const start = buildArch(spec, { seed: 0 });
    const teacher = (await loadModel(teacherPath)).model;
    try {
      expect(student.arch).toEqual(spec);
      const train = (await loadCifar10Dir(data)).train;
      const before = await kl(teacher, start, train.images, train.length);
      const after = await kl(teacher, student.model, train.images, train.length);
      expect(after).toBeLessThan(0.5 * before);
    } finally {
      [student.model, start, teacher].forEach((m) => m.dispose());
    }
  }, 300_000);

  it('--manipulate remove with --model cnn-small: a student of another architecture, reported as text', async () => {
    const out = join(dir, 'remove');
    const { out: stdout, err } = captureConsole();
    expect(await main(['distill', teacherPath, ...common, '--manipulate', 'remove', '--model', 'cnn-small', '--epochs', '1', '--out', out]), err.join('\n')).toBe(0);
    const text = stdout.join('\n');
    expect(text).toMatch(/^student cnn-small on 3×32×32 inputs, 10 classes, taught by .*teacher\.safetensors with its non-max logits replaced by their mean:/);
    expect(text).toMatch(/clean accuracy \d+\.\d%, PGD-2 L∞ ε=0\.03 robust accuracy \d+\.\d% on 6 test images/);
    const saved = await loadModel(join(out, 'student.safetensors'));
    expect(saved.arch.model).toBe('cnn-small');
    saved.model.dispose();
  }, 300_000);

  it('wrong command lines exit 2 before any work', async () => {
    const { err } = captureConsole();
    expect(await main(['distill', teacherPath, '--manipulate', 'flip'])).toBe(2);
    expect(err.join('\n')).toMatch(/--manipulate must be one of none, shuffle, remove, swap, got 'flip'/);
    expect(await main(['distill', teacherPath, ...common, '--model', 'vgg'])).toBe(2);
    expect(err.join('\n')).toMatch(/--model must be one of cnn-small, .*got 'vgg'/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
