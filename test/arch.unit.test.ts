// Self-describing checkpoints (issue 17 item 3): the architecture a checkpoint records rebuilds the
// model exactly, for every model of the zoo and its options; the metadata parser refuses what it does
// not know; older files (a name only) and files without metadata are told apart. GPU-free: the
// models live on the float64 CPU backend.
import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../src/errors.js';
import { archFromMetadata, archMetadata, archSpec, buildArch, describeArch, type ArchSpec } from '../src/nn/arch.js';
import { modelNames } from '../src/nn/models.js';
import { parseCheckpoint, serializeCheckpoint } from '../src/data/checkpoint.js';
import { checkpointArch, modelFromCheckpoint, stateTensors } from '../src/train/checkpoint.js';
import type { Module } from '../src/nn/module.js';

/** Every model with options other than its defaults, so that a rebuild with defaults would not fit. */
const SPECS: ArchSpec[] = [
  archSpec('cnn-small', { inChannels: 3, inputSize: 12, classes: 7 }),
  archSpec('plain-cnn', { inChannels: 1, inputSize: 8, classes: 4 }, { depth: 6, widthScale: 0.25, batchNorm: false }),
  archSpec('resnet-small', { inChannels: 3, inputSize: 8, classes: 5 }, { width: 4, blocks: [1, 2] }),
  archSpec('small-cnn-trades', { inChannels: 1, inputSize: 16, classes: 3 }, { drop: 0.25 }),
  archSpec('mlp', { inChannels: 2, inputSize: 5, classes: 6 }, { hidden: [7, 3] }),
];

/** Per state-dict entry, the largest difference from `b`'s values rounded to float32 (the checkpoint's dtype). */
async function maxDiffs(a: Module, b: Module): Promise<Record<string, number>> {
  const other = new Map(stateTensors(b));
  const out: Record<string, number> = {};
  for (const [n, t] of stateTensors(a)) {
    const x = await t.data();
    const y = await other.get(n)!.data();
    out[n] = x.length === y.length ? Array.from(x).reduce((m: number, v: number, i: number) => Math.max(m, Math.abs(v - Math.fround(y[i]!))), 0) : Infinity;
  }
  return out;
}

describe('architecture metadata', () => {
  it('covers every model of the zoo', () => {
    expect(SPECS.map((s) => s.model).sort()).toEqual([...modelNames].sort());
  });

  it.each(SPECS.map((s) => [s.model, s] as const))('%s: a checkpoint rebuilds the same model from its metadata alone', async (_, spec) => {
    const original = buildArch(spec, { seed: 3 });
    const bytes = await serializeCheckpoint({ model: stateTensors(original), metadata: { arch: archMetadata(spec), epoch: 2 } });
    const ck = parseCheckpoint(bytes, 'x.safetensors');
    expect(checkpointArch(ck, 'x.safetensors')).toEqual(spec);
    // Another seed: only the loaded weights can make the two equal.
    const { model, arch } = modelFromCheckpoint(ck, 'x.safetensors', { seed: 99 });
    try {
      expect(arch).toEqual(spec);
      const diffs = await maxDiffs(model, original);
      expect(Object.keys(diffs)).toEqual(stateTensors(original).map(([n]) => n));
      expect(Object.values(diffs).every((d) => d === 0), JSON.stringify(diffs)).toBe(true);
    } finally {
      model.dispose();
      original.dispose();
    }
  });

  it('fills in every default, so that a later change of defaults cannot change a recorded model', () => {
    expect(archSpec('plain-cnn', { inChannels: 1, inputSize: 28, classes: 10 }).options).toEqual({ depth: 8, batchNorm: true, widthScale: 1 });
    expect(archSpec('resnet-small', { inChannels: 3, inputSize: 32, classes: 10 }, { width: 8 }).options).toEqual({ width: 8, blocks: [2, 2, 2] });
    expect(describeArch(SPECS[1]!)).toBe('plain-cnn (depth 6, batchNorm false, widthScale 0.25) on 1×8×8 inputs, 4 classes');
  });

  it('refuses unknown models, unknown options and wrong types', () => {
    const g = { inChannels: 1, inputSize: 28, classes: 10 };
    expect(() => archSpec('vgg', g)).toThrow(/unknown model 'vgg'/);
    expect(() => archSpec('cnn-small', g, { depth: 3 })).toThrow(/cnn-small takes no option 'depth'; its options are \(none\)/);
    expect(() => archSpec('plain-cnn', g, { depth: true })).toThrow(/option 'depth' must be a number >= 0, got true/);
    expect(() => archSpec('mlp', g, { hidden: [4, 0] })).toThrow(/a list of positive integers/);
    expect(() => archSpec('mlp', { ...g, inputSize: 0 })).toThrow(ValueError);
  });

  it.each([
    ['not JSON', '{model: cnn-small}', /neither a model name .* nor JSON/],
    ['an array', '[1, 2]', /must be a JSON object/],
    ['an unknown key', '{"model":"cnn-small","inChannels":1,"inputSize":28,"classes":10,"options":{},"dropout":1}', /unknown key\(s\) dropout/],
    ['an unknown model', '{"model":"vit","inChannels":1,"inputSize":28,"classes":10}', /unknown model "vit"/],
    ['a missing geometry', '{"model":"cnn-small","inChannels":1,"classes":10}', /inputSize must be a positive integer, got undefined/],
    ['an unknown option', '{"model":"mlp","inChannels":1,"inputSize":28,"classes":10,"options":{"width":3}}', /mlp takes no option 'width'/],
  ])('a metadata "arch" with %s is a FormatError naming the file', (_, raw, message) => {
    expect(() => archFromMetadata({ arch: raw }, 'f.safetensors')).toThrow(FormatError);
    expect(() => archFromMetadata({ arch: raw }, 'f.safetensors')).toThrow(message);
    expect(() => archFromMetadata({ arch: raw }, 'f.safetensors')).toThrow(/^checkpoint f\.safetensors: metadata "arch"/);
  });

  it('older files: a bare name (the study\'s arch, the train command\'s model) parses as a name; no metadata as none', () => {
    expect(archFromMetadata({ arch: 'plain-cnn' })).toEqual({ kind: 'name', model: 'plain-cnn' });
    expect(archFromMetadata({ model: 'cnn-small', epoch: '3' })).toEqual({ kind: 'name', model: 'cnn-small' });
    expect(archFromMetadata({ format: 'pt' })).toEqual({ kind: 'none' });
    expect(archFromMetadata({ arch: archMetadata(SPECS[0]!) })).toEqual({ kind: 'full', spec: SPECS[0] });
  });

  it('checkpointArch: a name or nothing needs the fallback, which must name the same model', () => {
    const fallback = SPECS[0]!;
    expect(checkpointArch({ metadata: {} }, 'a.pt', fallback)).toBe(fallback);
    expect(checkpointArch({ metadata: { arch: 'cnn-small' } }, 'a.st', fallback)).toBe(fallback);
    expect(() => checkpointArch({ metadata: { arch: 'mlp' } }, 'a.st', fallback)).toThrow(/its metadata names mlp, but cnn-small was asked for/);
    expect(() => checkpointArch({ metadata: {} }, 'a.pt')).toThrow(/checkpoint a\.pt: records no architecture \(a PyTorch export/);
    expect(() => checkpointArch({ metadata: { arch: 'mlp' } }, 'a.st')).toThrow(/names mlp but not the input geometry/);
  });
});
