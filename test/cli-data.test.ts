// The commands on data from outside: `train` and `attack` on CIFAR-10 binary batches
// (--data cifar10 --data-dir DIR, small generated files), and `attack`/`logits` on a user's own
// images and labels (--images X.npy --labels Y.npy --shape C,H,W), with the exit codes and messages
// of missing files, wrong shapes and wrong flags.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { captureConsole } from './helpers/capture.js';
import { saveCheckpoint } from '../src/train/checkpoint-node.js';
import { serializeNpy } from '../src/data/npy.js';
import { argmax, noGrad, tensor, tidy, Rng } from '../src/node.js';
import { cnnSmall } from '../src/nn/models.js';
import { archMetadata, archSpec } from '../src/nn/arch.js';
import { cifarDir, npyFile } from './helpers/data-files.js';

const dir = mkdtempSync(join(tmpdir(), 'robustlens-cli-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('--data cifar10 --data-dir DIR', () => {
  const cifar = cifarDir(join(dir, 'cifar-10-batches-bin'));
  const out = join(dir, 'train-out');

  it('train and attack run on the binary batches, with 3×32×32 models', async () => {
    const { out: stdout } = captureConsole();
    const common = ['--data', 'cifar10', '--data-dir', cifar, '--test-size', '4', '--quiet'];
    expect(await main(['train', ...common, '--train-size', '8', '--epochs', '1', '--batch', '4', '--steps', '1', '--out', out])).toBe(0);
    const summary = JSON.parse(stdout.join('\n'));
    expect(summary.data).toBe(`CIFAR-10 (binary batches in ${cifar})`);
    expect(summary.log.length).toBe(1);
    expect(existsSync(join(out, 'last.safetensors'))).toBe(true);
    stdout.length = 0;
    expect(await main(['attack', join(out, 'last.safetensors'), ...common, '--steps', '2', '--eps', String(8 / 255), '--no-masking', '--json'])).toBe(0);
    const r = JSON.parse(stdout.join('\n'));
    expect(r.n).toBe(4);
    expect(r.robustAccuracy).toBeLessThanOrEqual(r.cleanAccuracy);
  }, 300_000);

  it('a missing batch file or directory fails with exit code 1 naming it; an unknown --data exits 2', async () => {
    const { err } = captureConsole();
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(await main(['train', '--data', 'cifar10', '--data-dir', empty, '--quiet'])).toBe(1);
    expect(err.join('\n')).toMatch(/empty\/data_batch_1\.bin, .*empty\/test_batch\.bin are missing/);
    const ck = join(dir, 'cifar-model.safetensors');
    const m = cnnSmall({ inChannels: 3, inputSize: 32 });
    await saveCheckpoint(ck, { model: m, metadata: { arch: archMetadata(archSpec('cnn-small', { inChannels: 3, inputSize: 32, classes: 10 })) } });
    m.dispose();
    expect(await main(['attack', ck, '--data', 'cifar10', '--quiet'])).toBe(1);
    expect(err.join('\n')).toMatch(/cifar10 needs the directory of the binary batches \(--data-dir DIR/);
    expect(await main(['attack', 'x.safetensors', '--data', 'imagenet'])).toBe(2);
    expect(err.join('\n')).toMatch(/--data must be one of mnist, fashion-mnist, cifar10, got 'imagenet'/);
  });
});

describe('--images X.npy --labels Y.npy --shape C,H,W', () => {
  const N = 6;
  const x = new Rng(11).fillUniform(N * 784, 0, 1);
  const images = join(dir, 'images.npy');
  writeFileSync(images, serializeNpy(Float32Array.from(x), N, 784));
  const ckpt = join(dir, 'user-model.safetensors');
  const labels = join(dir, 'labels.npy');

  it('attack and logits evaluate a checkpoint on the user\'s images: clean accuracy counts the right labels', async () => {
    // The model's own predictions as labels, two of them changed: clean accuracy must be 4/6.
    const model = cnnSmall({ seed: 5 });
    const input = tensor(Float32Array.from(x), [N, 1, 28, 28]);
    const pred = noGrad(() => tidy(() => argmax(model.eval().forward(input), 1)));
    const y = Array.from(await pred.data());
    [input, pred].forEach((t) => t.dispose());
    // Recording its architecture: the commands below need no --model.
    await saveCheckpoint(ckpt, { model, metadata: { arch: archMetadata(archSpec('cnn-small', { inChannels: 1, inputSize: 28, classes: 10 })) } });
    model.dispose();
    y[1] = (y[1]! + 1) % 10;
    y[4] = (y[4]! + 3) % 10;
    writeFileSync(labels, npyFile('<i8', [N], new Uint8Array(BigInt64Array.from(y.map(BigInt)).buffer)));
    const { out } = captureConsole();
    const user = ['--images', images, '--labels', labels, '--shape', '1,28,28', '--quiet'];
    expect(await main(['attack', ckpt, ...user, '--attack', 'fgsm', '--eps', '0', '--json'])).toBe(0);
    const r = JSON.parse(out.join('\n'));
    expect([r.n, r.cleanAccuracy, r.robustAccuracy]).toEqual([N, 4 / 6, 4 / 6]);
    out.length = 0;
    expect(await main(['logits', ckpt, ...user])).toBe(0);
    expect(JSON.parse(out.join('\n')).n).toBe(N);
  }, 120_000);

  it('incomplete or conflicting flags and non-square shapes exit 2; a shape or label mismatch with the files exits 1 with the reason', async () => {
    const { err } = captureConsole();
    const text = () => err.join('\n');
    expect(await main(['attack', ckpt, '--images', images, '--shape', '1,28,28'])).toBe(2);
    expect(text()).toMatch(/--images, --labels and --shape go together; --labels missing/);
    expect(await main(['attack', ckpt, '--images', images, '--labels', labels, '--shape', '1,28,28', '--data', 'mnist'])).toBe(2);
    expect(text()).toMatch(/either --data .* or --images/);
    expect(await main(['attack', ckpt, '--images', images, '--labels', labels, '--shape', '1,28'])).toBe(2);
    expect(text()).toMatch(/--shape must be C,H,W/);
    expect(await main(['train', '--images', images])).toBe(2);
    expect(await main(['attack', ckpt, '--images', images, '--labels', labels, '--shape', '3,32,32', '--quiet'])).toBe(1);
    expect(text()).toMatch(/images have shape \(6, 784\), but --shape 3,32,32 needs \(N, 3072\)/);
    const bad = join(dir, 'bad-labels.npy');
    writeFileSync(bad, npyFile('<i8', [N], new Uint8Array(BigInt64Array.from([0n, 1n, 12n, 3n, 4n, 5n]).buffer)));
    expect(await main(['attack', ckpt, '--images', images, '--labels', bad, '--shape', '1,28,28', '--quiet'])).toBe(1);
    expect(text()).toMatch(/label 12 of example 2 is not an integer class in \[0, 10\)/);
    expect(await main(['attack', ckpt, '--images', images, '--labels', labels, '--shape', '1,14,56', '--quiet'])).toBe(2);
    expect(text()).toMatch(/the zoo's models take square images, but the data is 1×14×56/);
  });
});
