/**
 * Models on the command line: a fresh one for `train`, or one rebuilt from a checkpoint. A
 * checkpoint written by robustlens records its architecture and input geometry (src/nn/arch.ts), so
 * it needs no --model; --model overrides it (one line on stderr says so), and a file that records
 * none (a PyTorch export) needs --model. Files are read and checked before any GPU work; the
 * model is built afterwards (`buildFromCheckpoint`, after init()).
 */
import { DATASET_SHAPES } from '../data/datasets-node.js';
import { parseCheckpoint, type Checkpoint } from '../data/checkpoint.js';
import { FormatError } from '../errors.js';
import { archFromMetadata, archSpec, buildArch, describeArch, type ArchFromFile, type ArchSpec } from '../nn/arch.js';
import { modelNames } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { loadStateDict } from '../train/checkpoint.js';
import { int, optional } from './args.js';
import { InputError, UsageError, type ParsedArgs } from './command.js';
import { ZOO_CLASSES } from './common.js';
import { checkpointRole, parseInput, readInput } from './files.js';

export const trainModelHelp = `  --model NAME       ${modelNames.join(', ')} (default cnn-small)`;

export const loadModelHelp = `  --model NAME       the architecture (${modelNames.join(', ')}), needed only for a checkpoint that
                     does not record one (a PyTorch .pt/.pth export); it overrides a recorded one`;

type Shape = readonly [number, number, number];

/** A checkpoint named on the command line, read and parsed (no GPU work yet). */
export interface CheckpointArg {
  /** How the command line names it: 'CHECKPOINT', '--compare', 'A'. */
  arg: string;
  path: string;
  ck: Checkpoint;
  recorded: ArchFromFile;
}

/** Read and parse a checkpoint argument; every problem is one line naming `arg` and the path. */
export async function readCheckpointArg(path: string | undefined, arg = 'CHECKPOINT'): Promise<CheckpointArg> {
  if (!path) throw new UsageError(`${arg} is required: a .safetensors written by robustlens (train, study, distill), or a PyTorch state dict .pt/.pth`);
  const role = checkpointRole(arg);
  const ck = parseInput(await readInput(path, role), path, role, parseCheckpoint);
  try {
    return { arg, path, ck, recorded: archFromMetadata(ck.metadata, path) };
  } catch (e) {
    if (e instanceof FormatError) throw new InputError(`${arg} ${e.message}`);
    throw e;
  }
}

/** The classes a checkpoint's labels must lie below: the recorded number, else the zoo's 10. */
export const classesOf = (c: CheckpointArg): number => (c.recorded.kind === 'full' ? c.recorded.spec.classes : ZOO_CLASSES);

const fmtShape = (s: Shape): string => s.join('×');

function checkModelName(name: string, flag: string): void {
  if (!(modelNames as string[]).includes(name)) throw new UsageError(`${flag} must be one of ${modelNames.join(', ')}, got '${name}'`);
}

function checkSquare([c, h, w]: Shape): void {
  if (h !== w) throw new UsageError(`the zoo's models take square images, but the data is ${c}×${h}×${w}`);
}

/** Which named datasets have this shape, for "evaluate it on data of its shape (--data …)". */
function datasetsOfShape(s: Shape): string {
  const names = Object.entries(DATASET_SHAPES).filter(([, d]) => d.join() === s.join()).map(([n]) => n);
  return names.length ? ` (--data ${names.join(' or ')}, or your own images with --shape ${s.join(',')})` : ` (your own images with --shape ${s.join(',')})`;
}

/**
 * The architecture to rebuild a checkpoint as, for data of `shape`: the recorded one, --model
 * overriding it (`note` says which won), or --model alone for a file that records none.
 */
export function chooseArch(c: CheckpointArg, modelFlag: string | undefined, shape: Shape, opts: { flag?: string; note?: (line: string) => void } = {}): ArchSpec {
  const flag = opts.flag ?? '--model';
  const note = opts.note ?? ((line: string) => console.error(line));
  if (modelFlag !== undefined) checkModelName(modelFlag, flag);
  checkSquare(shape);
  const rec = c.recorded;
  if (rec.kind === 'full') {
    const s = rec.spec;
    const own: Shape = [s.inChannels, s.inputSize, s.inputSize];
    if (own.join() !== shape.join()) {
      throw new InputError(`${c.arg} ${c.path} holds ${describeArch(s)} (its metadata), but the data is ${fmtShape(shape)}; evaluate it on ${fmtShape(own)} images${datasetsOfShape(own)}`);
    }
    if (modelFlag === undefined || modelFlag === s.model) return s;
    note(`robustlens: ${flag} ${modelFlag} overrides the architecture ${c.path} records (${s.model}); loading it as ${modelFlag}`);
    return archSpec(modelFlag, { inChannels: s.inChannels, inputSize: s.inputSize, classes: s.classes });
  }
  const geometry = { inChannels: shape[0], inputSize: shape[1], classes: ZOO_CLASSES };
  if (rec.kind === 'name') {
    if (modelFlag !== undefined && modelFlag !== rec.model) note(`robustlens: ${flag} ${modelFlag} overrides the architecture ${c.path} records (${rec.model}); loading it as ${modelFlag}`);
    return archSpec(modelFlag ?? rec.model, geometry);
  }
  if (modelFlag === undefined) {
    throw new InputError(`${c.arg} ${c.path} records no architecture (a PyTorch export, or a file not written by robustlens); pass ${flag} NAME, one of ${modelNames.join(', ')}`);
  }
  return archSpec(modelFlag, geometry);
}

/** The model of `arch` with the checkpoint's weights (names and shapes checked); after init(). */
export function buildFromCheckpoint(c: CheckpointArg, arch: ArchSpec, seed = 0): Module {
  const model = buildArch(arch, { seed });
  try {
    loadStateDict(model, c.ck.model, { file: c.path });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** A --model-like option's value (a name of the zoo), checked now: a wrong one exits 2 before any file is read. */
export function modelOption(args: ParsedArgs, name = 'model'): string | undefined {
  const v = optional(args, name);
  if (v !== undefined) checkModelName(v, `--${name}`);
  return v;
}

/** The architecture of a fresh --model (default cnn-small) for examples of shape [C, H, W] (square). */
export function freshArch(args: ParsedArgs, shape: Shape): ArchSpec {
  const name = optional(args, 'model') ?? 'cnn-small';
  checkModelName(name, '--model');
  checkSquare(shape);
  return archSpec(name, { inChannels: shape[0], inputSize: shape[1], classes: ZOO_CLASSES });
}

/** A fresh --model, seeded by --seed. */
export const freshModel = (args: ParsedArgs, arch: ArchSpec): Module => buildArch(arch, { seed: int(args, 'seed', 0) });
