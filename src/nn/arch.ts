/**
 * A zoo model's complete description: its name, its input geometry and its options, every default
 * filled in, so that the model can be rebuilt exactly from it. Checkpoints written by robustlens
 * record it as JSON under the safetensors metadata key `arch`:
 *
 *   {"model":"plain-cnn","inChannels":1,"inputSize":28,"classes":10,"options":{"depth":6,"batchNorm":true,"widthScale":0.5}}
 *
 * The parser refuses what it does not know (an unknown model or option, a wrong type). Checkpoints
 * written before the geometry was recorded hold only the model's name (`arch: "cnn-small"`, or the
 * train command's `model: "cnn-small"`): those parse as a name without geometry.
 */
import { FormatError, ValueError } from '../errors.js';
import type { Backend } from '../backend/types.js';
import { createModel, modelNames, type CreateModelOptions, type ModelName } from './models.js';
import type { Module } from './module.js';

/** The options each model of the zoo takes besides its geometry, with their defaults (models.ts, resnet.ts). */
const DEFAULT_OPTIONS: Record<ModelName, Record<string, number | boolean | number[]>> = {
  'cnn-small': {},
  'plain-cnn': { depth: 8, batchNorm: true, widthScale: 1 },
  'resnet-small': { width: 16, blocks: [2, 2, 2] },
  'small-cnn-trades': { drop: 0.5 },
  mlp: { hidden: [128] },
};

export type ArchOptions = Record<string, number | boolean | number[]>;

export interface ArchSpec {
  model: ModelName;
  inChannels: number;
  inputSize: number;
  classes: number;
  /** The model's own options (plain-cnn depth, widthScale, batchNorm; resnet-small width, blocks; …), defaults filled in. */
  options: ArchOptions;
}

/** What a checkpoint's metadata says of its architecture: all of it, only the model's name (older files), or nothing. */
export type ArchFromFile = { kind: 'full'; spec: ArchSpec } | { kind: 'name'; model: ModelName } | { kind: 'none' };

const isModelName = (s: unknown): s is ModelName => typeof s === 'string' && (modelNames as string[]).includes(s);
const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** A complete spec from a model name, its geometry and some options: unknown options are refused, the rest defaulted. */
export function archSpec(model: string, geometry: { inChannels: number; inputSize: number; classes: number }, options: ArchOptions = {}): ArchSpec {
  if (!isModelName(model)) throw new ValueError(`archSpec: unknown model '${model}'; choose one of ${modelNames.join(', ')}`);
  const defaults = DEFAULT_OPTIONS[model];
  const unknown = Object.keys(options).filter((k) => !(k in defaults));
  if (unknown.length) throw new ValueError(`archSpec: ${model} takes no option ${unknown.map((k) => `'${k}'`).join(', ')}; its options are ${Object.keys(defaults).join(', ') || '(none)'}`);
  for (const [k, v] of Object.entries(geometry)) if (!positiveInt(v)) throw new ValueError(`archSpec: ${k} must be a positive integer, got ${String(v)}`);
  for (const [k, v] of Object.entries(options)) {
    const d = defaults[k]!;
    const ok = Array.isArray(d) ? Array.isArray(v) && v.every(positiveInt) : typeof v === typeof d && (typeof v !== 'number' || (Number.isFinite(v) && v >= 0));
    if (!ok) throw new ValueError(`archSpec: ${model} option '${k}' must be ${Array.isArray(d) ? 'a list of positive integers' : typeof d === 'number' ? 'a number >= 0' : 'true or false'}, got ${JSON.stringify(v)}`);
  }
  return { model, inChannels: geometry.inChannels, inputSize: geometry.inputSize, classes: geometry.classes, options: { ...defaults, ...options } };
}

/** A fresh (untrained) model of the spec, seeded. */
export function buildArch(spec: ArchSpec, opts: { seed?: number; backend?: Backend<any> } = {}): Module {
  const o: CreateModelOptions = { ...(spec.options as CreateModelOptions), inChannels: spec.inChannels, inputSize: spec.inputSize, classes: spec.classes, seed: opts.seed ?? 0, backend: opts.backend };
  return createModel(spec.model, o);
}

/** e.g. "plain-cnn (depth 6, batchNorm true, widthScale 0.5) on 1×28×28 inputs, 10 classes". */
export function describeArch(spec: ArchSpec): string {
  const opts = Object.entries(spec.options).map(([k, v]) => `${k} ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
  return `${spec.model}${opts.length ? ` (${opts.join(', ')})` : ''} on ${spec.inChannels}×${spec.inputSize}×${spec.inputSize} inputs, ${spec.classes} classes`;
}

/** The spec as the metadata value (JSON, keys in a fixed order). */
export const archMetadata = (spec: ArchSpec): string =>
  JSON.stringify({ model: spec.model, inChannels: spec.inChannels, inputSize: spec.inputSize, classes: spec.classes, options: spec.options });

/** Read the architecture from a checkpoint's metadata (`arch`, or the older `model` key); a malformed value is a FormatError naming the file. */
export function archFromMetadata(metadata: Readonly<Record<string, string>>, file = '<checkpoint>'): ArchFromFile {
  const raw = metadata.arch ?? metadata.model;
  if (raw === undefined) return { kind: 'none' };
  const bad = (why: string): FormatError => new FormatError(`checkpoint ${file}: metadata "arch" ${why}; rewrite the checkpoint with robustlens, or pass --model`);
  if (isModelName(raw)) return { kind: 'name', model: raw };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw bad(`is neither a model name (${modelNames.join(', ')}) nor JSON: ${JSON.stringify(raw.slice(0, 80))}`);
  }
  if (isModelName(v)) return { kind: 'name', model: v };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`must be a JSON object, got ${JSON.stringify(raw.slice(0, 80))}`);
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !['model', 'inChannels', 'inputSize', 'classes', 'options'].includes(k));
  if (extra.length) throw bad(`has unknown key(s) ${extra.join(', ')}`);
  if (!isModelName(o.model)) throw bad(`names an unknown model ${JSON.stringify(o.model)} (this robustlens knows ${modelNames.join(', ')})`);
  const options = o.options ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw bad('has "options" that are not an object');
  try {
    return { kind: 'full', spec: archSpec(o.model, { inChannels: o.inChannels as number, inputSize: o.inputSize as number, classes: o.classes as number }, options as ArchOptions) };
  } catch (e) {
    throw bad(`is invalid: ${(e as Error).message.replace(/^archSpec: /, '')}`);
  }
}
