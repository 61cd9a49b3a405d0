// Clear errors everywhere (issue 17 item 1): every command that reads a file, given a missing file, a
// directory, an empty file or a file of the wrong format, exits 1 with ONE line that names the path
// and what to do, and no stack trace unless --debug. All of it happens before any GPU work: this is a
// unit-tier file, whose setup fails if a test initialised WebGPU.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { commands, main } from '../src/cli.js';
import { parseCheckpoint, serializeCheckpoint } from '../src/data/checkpoint.js';
import { serializeNpy } from '../src/data/npy.js';
import { archMetadata, archSpec, buildArch } from '../src/nn/arch.js';
import { stateTensors } from '../src/train/checkpoint.js';
import { Rng } from '../src/random.js';
import { captureConsole } from './helpers/capture.js';
import { cifarDir, npyFile, testFiles } from './helpers/data-files.js';

const { dir, file } = testFiles('robustlens-cli-files-');

// Good files, for the arguments a case does not spoil.
const N = 4;
const spec = archSpec('mlp', { inChannels: 1, inputSize: 28, classes: 10 }, { hidden: [4] });
const model = buildArch(spec);
const good = await serializeCheckpoint({ model: stateTensors(model), metadata: { arch: archMetadata(spec) } });
const noArch = await serializeCheckpoint({ model: stateTensors(model) });
model.dispose();
const ckpt = file('good.safetensors', good);
const exported = file('exported.safetensors', noArch);
const images = file('images.npy', serializeNpy(new Rng(1).fillUniform(N * 784, 0, 1), N, 784, 'float32'));
const labels = file('labels.npy', npyFile('<i8', [N], new Uint8Array(BigInt64Array.from([0n, 1n, 2n, 3n]).buffer)));
const features = file('features.npy', serializeNpy(new Rng(2).fillUniform(N * 3, 0, 1), N, 3));
const user = (x = images, y = labels) => ['--images', x, '--labels', y, '--shape', '1,28,28'];

// The four kinds of bad file, for each kind of content expected.
const missing = join(dir, 'no-such-file.safetensors');
const folder = join(dir, 'run');
mkdirSync(folder);
writeFileSync(join(folder, 'last.safetensors'), good);
const empty = file('empty.safetensors', new Uint8Array(0));
const wrong = {
  checkpoints: [
    ['a .npy', file('features-as-ckpt.safetensors', serializeNpy([1, 2, 3, 4], 2, 2))],
    ['random bytes', file('random.safetensors', new Rng(3).fillUniform(300, 0, 256).map(Math.floor) as unknown as Uint8Array)],
    ['a truncated safetensors', file('truncated.safetensors', good.subarray(0, good.length - 100))],
  ],
  npy: [
    ['a safetensors', file('ckpt-as.npy', good)],
    ['text', file('text.npy', '1,2,3\n4,5,6\n')],
  ],
} as const;
// Random bytes as a Uint8Array (fillUniform gives floats).
writeFileSync(wrong.checkpoints[1][1], Uint8Array.from(new Rng(3).fillUniform(300, 0, 256), Math.floor));

type Case = [string, string[], string, RegExp];

/** For a command line with a slot `X` for the bad file: the four kinds of bad file (checkpoints or .npy). */
function cases(label: string, argv: (x: string) => string[], kind: 'checkpoints' | 'npy'): Case[] {
  return [
    [`${label}: missing`, argv(missing), missing, /does not exist; check the path/],
    [`${label}: a directory`, argv(folder), folder, kind === 'checkpoints' ? /is a directory, not a file \(it holds last\.safetensors\); give/ : /is a directory, not a file; give/],
    [`${label}: empty`, argv(empty), empty, /is empty \(0 bytes\)/],
    ...wrong[kind].map(([what, path]): Case => [`${label}: ${what}`, argv(path), path, kind === 'checkpoints' ? /is not a checkpoint.*; give a \.safetensors written by robustlens/ : /is not a (\.npy array|2-D \.npy feature matrix).*; give .* saved with np\.save/]),
  ];
}

const TABLE: Case[] = [
  ...cases('attack CHECKPOINT', (x) => ['attack', x], 'checkpoints'),
  ...cases('attack --images', (x) => ['attack', ckpt, ...user(x)], 'npy'),
  ...cases('attack --labels', (x) => ['attack', ckpt, ...user(images, x)], 'npy'),
  ...cases('logits CHECKPOINT', (x) => ['logits', x], 'checkpoints'),
  ...cases('logits --compare', (x) => ['logits', ckpt, '--compare', x], 'checkpoints'),
  ...cases('simplicity CHECKPOINT', (x) => ['simplicity', x], 'checkpoints'),
  ...cases('cka A', (x) => ['cka', x, ckpt], 'checkpoints'),
  ...cases('cka B', (x) => ['cka', ckpt, x], 'checkpoints'),
  ...cases('cka --images', (x) => ['cka', ckpt, ckpt, ...user(x)], 'npy'),
  ...cases('distill TEACHER', (x) => ['distill', x], 'checkpoints'),
  ...cases('similarity A', (x) => ['similarity', x, features], 'npy'),
  ...cases('similarity B', (x) => ['similarity', features, x], 'npy'),
];

// --data cifar10 --data-dir DIR: the directory itself, then a batch file inside it spoilt each way.
const cifar = (name: string, spoil?: (batch: string) => void): string => {
  const d = cifarDir(join(dir, name), [], { train: 2, test: 2 });
  spoil?.(join(d, 'data_batch_1.bin'));
  return d;
};
const dataDirCases: Case[] = ([
  ['train --data-dir: missing', join(dir, 'no-such-dir'), join(dir, 'no-such-dir'), /--data-dir .* does not exist; give the directory that holds CIFAR-10's binary batches/],
  ['train --data-dir: a file', ckpt, ckpt, /--data-dir .* is a file, not a directory; give the directory/],
  ['train --data-dir: a batch that is a directory', cifar('c-dir', (b) => (rmSync(b), mkdirSync(b))), 'data_batch_1.bin', /data_batch_1\.bin is a directory, not a file/],
  ['train --data-dir: an empty batch', cifar('c-empty', (b) => writeFileSync(b, '')), 'data_batch_1.bin', /empty file; .*--data-dir must hold CIFAR-10's binary batches/],
  ['train --data-dir: a .npy as a batch', cifar('c-npy', (b) => writeFileSync(b, serializeNpy([1, 2], 1, 2))), 'data_batch_1.bin', /not a multiple of 3073.*--data-dir must hold/],
] as [string, string, string, RegExp][]).map(([label, d, path, re]) => [label, ['train', '--data', 'cifar10', '--data-dir', d, '--quiet'], path, re]);

/** The one line a failure must print: the command, the path, what to do; no stack, no second line. */
function expectOneLine(err: string[], command: string, path: string, message: RegExp): void {
  expect(err, 'exactly one line on stderr').toHaveLength(1);
  const line = err[0]!;
  expect(line).not.toContain('\n');
  expect(line.startsWith(`robustlens ${command}: `), line).toBe(true);
  expect(line).toContain(path);
  expect(line).toMatch(message);
  expect(line).not.toMatch(/^\s+at /m);
}

describe('a bad file is one line naming the path and the fix, exit code 1, before any GPU work', () => {
  it('the table covers every command that reads a checkpoint or a .npy file', () => {
    const covered = new Set(TABLE.map(([, argv]) => argv[0]));
    for (const name of ['attack', 'logits', 'simplicity', 'cka', 'distill', 'similarity']) expect(covered.has(name), name).toBe(true);
    expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining([...covered, 'train']));
  });

  it.each([...TABLE, ...dataDirCases])('%s', async (_, argv, path, message) => {
    const { out, err } = captureConsole();
    expect(await main(argv)).toBe(1);
    expectOneLine(err, argv[0]!, path, message);
    expect(out).toEqual([]);
  });

  it('a checkpoint that records no architecture (a PyTorch export) needs --model, and the line says so', async () => {
    const { err } = captureConsole();
    expect(await main(['attack', exported, ...user()])).toBe(1);
    expectOneLine(err, 'attack', exported, /records no architecture \(a PyTorch export, or a file not written by robustlens\); pass --model NAME, one of cnn-small/);
    err.length = 0;
    expect(await main(['distill', exported, '--data', 'cifar10', '--data-dir', cifar('c-ok')])).toBe(1);
    expectOneLine(err, 'distill', exported, /pass --teacher-model NAME/);
  });

  it('a checkpoint for other images says which shape it takes', async () => {
    const { err } = captureConsole();
    const x = file('images-3.npy', serializeNpy(new Rng(1).fillUniform(N * 48, 0, 1), N, 48, 'float32'));
    expect(await main(['logits', ckpt, '--images', x, '--labels', labels, '--shape', '3,4,4'])).toBe(1);
    expectOneLine(err, 'logits', ckpt, /holds mlp \(hidden \[4\]\) on 1×28×28 inputs, 10 classes \(its metadata\), but the data is 3×4×4; evaluate it on 1×28×28 images \(--data mnist or fashion-mnist/);
  });

  it('a file of the wrong kind is named by what it looks like, when its first bytes tell', async () => {
    const { err } = captureConsole();
    const looks = async (path: string): Promise<string> => {
      err.length = 0;
      await main(['attack', path]);
      return /it looks like ([^(]+) \(/.exec(err[0]!)?.[1]?.trim() ?? 'nothing said';
    };
    expect(await looks(wrong.checkpoints[0][1])).toBe('a NumPy .npy array');
    expect(await looks(wrong.checkpoints[2][1])).toBe('a safetensors file');
    expect(await looks(wrong.npy[1][1])).toBe('a text file');
    expect(await looks(wrong.checkpoints[1][1])).toBe('nothing said'); // random bytes: no guess
    expect(await looks(file('page.html', '<!doctype html><p>saved the web page</p>'))).toBe('HTML or XML text');
  });

  it('--debug prints the whole error with its stack trace', async () => {
    const { err } = captureConsole();
    expect(await main(['attack', missing, '--debug'])).toBe(1);
    const text = err.join('\n');
    expect(text).toContain(missing);
    expect(text).toMatch(/^\s+at /m);
  });

  it('an unexpected error is one line that says it is a bug and points to --debug', async () => {
    const similarity = commands.find((c) => c.name === 'similarity')!;
    vi.spyOn(similarity, 'run').mockRejectedValue(new TypeError('cannot read x\nof undefined'));
    const { err } = captureConsole();
    expect(await main(['similarity', features, features])).toBe(1);
    expect(err).toEqual(['robustlens similarity: unexpected error: TypeError: cannot read x (a bug in robustlens: run again with --debug for the stack trace, and report it)']);
  });

  it('the checkpoint files of the table parse when they are good (the cases fail for the reason they name)', () => {
    expect(parseCheckpoint(good, ckpt).metadata.arch).toBe(archMetadata(spec));
  });
});
