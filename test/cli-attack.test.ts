// `robustlens attack --attack autoattack|apgd-*|square --json` (issue 15 item 4): on a user's images,
// the JSON carries clean accuracy, robust accuracy per attack, the worst case, the seconds and the
// masking checks; without --json a summary; a masking flag reaches stderr even with --quiet.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { serializeNpy } from '../src/data/npy.js';
import { archMetadata, archSpec, buildArch } from '../src/nn/arch.js';
import { argmax, noGrad, tensor, tidy, Rng } from '../src/node.js';
import { saveCheckpoint } from '../src/train/checkpoint-node.js';
import { captureConsole } from './helpers/capture.js';
import { npyFile, testFiles } from './helpers/data-files.js';

const { dir } = testFiles('robustlens-cli-attack-');

const N = 8;
const values = Float32Array.from(new Rng(21).fillUniform(N * 784, 0.1, 0.9));
const images = join(dir, 'x.npy');
const labels = join(dir, 'y.npy');
const ckpt = join(dir, 'mlp.safetensors');

/** An mlp checkpoint recording its architecture, and its own predictions as labels (one changed). */
async function files(): Promise<void> {
  const spec = archSpec('mlp', { inChannels: 1, inputSize: 28, classes: 10 }, { hidden: [16] });
  const model = buildArch(spec, { seed: 4 });
  const x = tensor(values, [N, 1, 28, 28]);
  const p = noGrad(() => tidy(() => argmax(model.eval().forward(x), 1)));
  const y = Array.from(await p.data());
  [x, p].forEach((t) => t.dispose());
  y[2] = (y[2]! + 1) % 10;
  await saveCheckpoint(ckpt, { model, metadata: { arch: archMetadata(spec) } });
  model.dispose();
  writeFileSync(images, serializeNpy(values, N, 784));
  writeFileSync(labels, npyFile('<i8', [N], new Uint8Array(BigInt64Array.from(y.map(BigInt)).buffer)));
}

const user = ['--images', images, '--labels', labels, '--shape', '1,28,28'];

describe('robustlens attack', () => {
  it('autoattack --json: clean accuracy, robust accuracy per attack, the worst case, seconds and the masking checks', async () => {
    await files();
    const { out, err } = captureConsole();
    const progress: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (progress.push(String(s)), true));
    expect(await main(['attack', ckpt, ...user, '--attack', 'autoattack', '--eps', '0.01', '--steps', '5', '--n-queries', '40', '--batch', '5', '--json'])).toBe(0);
    const r = JSON.parse(out.join('\n'));
    expect([r.n, r.cleanAccuracy]).toEqual([N, (N - 1) / N]);
    expect(r.attacks.map((a: { attack: string }) => a.attack)).toEqual(['apgd-ce', 'apgd-t', 'square']);
    expect(Object.keys(r.perAttack)).toEqual(['apgd-ce', 'apgd-t', 'square']);
    expect([r.robustAccuracy, r.worstCase]).toEqual([r.perAttack.square, r.perAttack.square]);
    expect(r.spec.loss, 'PGD\'s loss is not part of an AutoAttack spec').toBeUndefined();
    expect(r.attacks[0].attacked).toBe(N - 1);
    for (const k of ['attack', 'masking', 'total']) expect(r.seconds[k], k).toBeGreaterThan(0);
    expect(r.masking.map((c: { name: string }) => c.name)).toEqual(['accuracy-falls-with-eps', 'iterative-beats-single-step', 'white-box-beats-black-box', 'more-effort-changes-little']);
    for (const c of r.masking) expect(['pass', 'flag']).toContain(c.status);
    // Progress went to stderr, batch by batch (5 + 3 images).
    expect(progress.join('')).toMatch(/batch 2 \(from image 5\): apgd-t target 1\/9, restart 1\/1: \d\/3 robust/);
    // Every flag is on stderr too.
    const flags = r.masking.filter((c: { status: string }) => c.status === 'flag').length;
    expect(err.filter((l) => l.includes('GRADIENT MASKING FLAGGED')).length).toBe(flags);
  }, 300_000);

  it('a masking flag is printed on stderr even with --quiet, and in the summary; --no-masking says it was skipped', async () => {
    const { out, err } = captureConsole();
    // At ε = 0.002, 4ε breaks few examples: the first check must flag (a small budget cannot reach 0).
    expect(await main(['attack', ckpt, ...user, '--attack', 'apgd-ce', '--eps', '0.002', '--steps', '5', '--n-queries', '20', '--quiet'])).toBe(0);
    expect(err.some((l) => /^!!! GRADIENT MASKING FLAGGED: accuracy falls towards 0 at 4ε: APGD-CE at 4ε still leaves/.test(l)), err.join('\n')).toBe(true);
    const text = out.join('\n');
    expect(text).toMatch(/apgd-ce\s+robust\s+\d+\.\d%/);
    expect(text).toMatch(/worst case: \d+\.\d% robust \(apgd-ce, linf ε = 0\.002\)/);
    expect(text).toMatch(/FLAG {2}accuracy falls towards 0 at 4ε/);
    out.length = 0;
    err.length = 0;
    expect(await main(['attack', ckpt, ...user, '--attack', 'square', '--eps', '0.05', '--n-queries', '20', '--no-masking', '--quiet'])).toBe(0);
    expect(out.join('\n')).toMatch(/gradient-masking checks: turned off/);
    expect(err).toEqual([]);
  }, 300_000);
});
