// `robustlens attack` on bad input (issue 15 §9): ε < 0, a label out of range, images of another
// shape than the model takes, a .pt holding anything but tensors, an attack the model's classes do
// not allow. Each is a clear error (exit 2 for a wrong flag, 1 for a wrong file or value) before any
// GPU work: this is a unit-tier file, whose setup fails if a test initialised WebGPU.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { serializeCheckpoint } from '../src/data/checkpoint.js';
import { serializeNpy } from '../src/data/npy.js';
import { archMetadata, archSpec, buildArch } from '../src/nn/arch.js';
import { Rng } from '../src/random.js';
import { stateTensors } from '../src/train/checkpoint.js';
import { captureConsole } from './helpers/capture.js';
import { npyFile, testFiles } from './helpers/data-files.js';
import { op, ptZip, SAMPLE_STORAGES } from './helpers/pt-files.js';

const { dir, file } = testFiles('robustlens-attack-input-');

async function checkpoint(name: string, classes: number): Promise<string> {
  const spec = archSpec('mlp', { inChannels: 1, inputSize: 28, classes }, { hidden: [4] });
  const model = buildArch(spec);
  const bytes = await serializeCheckpoint({ model: stateTensors(model), metadata: { arch: archMetadata(spec) } });
  model.dispose();
  return file(name, bytes);
}

const N = 4;
const labelsOf = (y: number[]) => npyFile('<i8', [y.length], new Uint8Array(BigInt64Array.from(y.map(BigInt)).buffer));
const ten = await checkpoint('ten.safetensors', 10);
const three = await checkpoint('three.safetensors', 3);
const images = file('x.npy', serializeNpy(new Rng(1).fillUniform(N * 784, 0, 1), N, 784, 'float32'));
const bright = file('bright.npy', serializeNpy(new Rng(1).fillUniform(N * 784, 0, 2), N, 784, 'float32'));
const labels = file('y.npy', labelsOf([0, 1, 2, 1]));
const bigLabel = file('y-big.npy', labelsOf([0, 1, 10, 1]));
const fewLabels = file('y-few.npy', labelsOf([0, 1, 2]));
const epochPt = file('epoch.pt', ptZip([], SAMPLE_STORAGES, { pickle: Uint8Array.from([...op.proto(), ...op.emptyDict, ...op.str('epoch'), ...op.int(3), ...op.setitem, ...op.stop]) }));
const evilPt = file('evil.pt', ptZip([], SAMPLE_STORAGES, { pickle: Uint8Array.from([...op.proto(), ...op.global('posix', 'system'), ...op.str('touch /tmp/pwned'), ...op.tuple1, ...op.reduce, ...op.stop]) }));
const user = (x = images, y = labels, shape = '1,28,28') => ['--images', x, '--labels', y, '--shape', shape, '--quiet'];

// [what, argv, exit code, message]
const TABLE: [string, string[], 1 | 2, RegExp][] = [
  ['ε < 0', ['attack', ten, ...user(), '--eps=-0.1'], 2, /--eps must be >= 0, got '-0\.1'/],
  ['ε not a number', ['attack', ten, ...user(), '--eps', 'lots'], 2, /--eps must be >= 0, got 'lots'/],
  ['a label out of range', ['attack', ten, ...user(images, bigLabel), '--attack', 'autoattack'], 1, /label 10 of example 2 is not an integer class in \[0, 10\)/],
  ['fewer labels than images', ['attack', ten, ...user(images, fewLabels), '--attack', 'apgd-ce'], 1, /x\.npy holds 4 images but .*y-few\.npy holds 3 labels; they must describe the same examples/],
  ['images of another shape than the model takes', ['attack', ten, ...user(file('x3.npy', serializeNpy(new Rng(2).fillUniform(N * 48, 0, 1), N, 48, 'float32')), labels, '3,4,4'), '--attack', 'square'], 1, /holds mlp .* on 1×28×28 inputs, 10 classes .*but the data is 3×4×4/],
  ['images that do not match --shape', ['attack', ten, ...user(images, labels, '3,32,32'), '--attack', 'apgd-t'], 1, /images have shape \(4, 784\), but --shape 3,32,32 needs \(N, 3072\)/],
  ['pixels outside [0, 1]', ['attack', ten, ...user(bright), '--attack', 'autoattack'], 1, /bright\.npy: value [0-9.]+ of example 0 \(feature \d+\) is outside \[0, 1\]; scale the images/],
  ['a .pt holding more than tensors', ['attack', epochPt, '--model', 'mlp', ...user(), '--attack', 'autoattack'], 1, /entry "epoch" is int\/float 3, not a tensor; save only the tensors/],
  ['a .pt whose pickle calls os.system', ['attack', evilPt, '--model', 'mlp', ...user(), '--attack', 'autoattack'], 1, /the pickle names the global posix\.system, which is not allowed.*Nothing in the file was run/],
  ['APGD-T on a 3-class model', ['attack', three, ...user(images, file('y3.npy', labelsOf([0, 1, 2, 1]))), '--attack', 'apgd-t'], 1, /targeted DLR loss needs at least 4 classes .* the model has 3/],
];

describe('robustlens attack: bad input is a clear error before any GPU work', () => {
  it.each(TABLE)('%s', async (_, argv, code, message) => {
    const { out, err } = captureConsole();
    expect(await main(argv)).toBe(code);
    expect(err.join('\n')).toMatch(message);
    expect(out).toEqual([]);
  });
});
