import { loadNamed, serializeCheckpoint, type Checkpoint, type CheckpointTensors, type LoadOptions, type NamedTensors } from '../data/checkpoint.js';
import type { StTensor } from '../data/safetensors.js';
import { FormatError } from '../errors.js';
import { archFromMetadata, buildArch, type ArchSpec } from '../nn/arch.js';
import type { Module } from '../nn/module.js';
import type { Backend } from '../backend/types.js';
import type { Optimizer } from '../optim/optimizer.js';

/**
 * Checkpoints of a module and its optimizer: their tensors by name, in the safetensors layout of
 * src/data/checkpoint.ts (PyTorch state_dict keys; optimizer state under `optimizer/`).
 */
export interface CheckpointInput {
  /** A module (parameters and buffers), or named tensors. */
  model: Module | NamedTensors;
  /** An optimizer (its state()), or named tensors; stored under optimizer/. */
  optimizer?: Optimizer | NamedTensors;
  /** String metadata (numbers and objects are JSON-encoded), e.g. epoch, seed, config. */
  metadata?: Record<string, unknown>;
}

/** A module's parameters then buffers, under their state_dict names. */
export const stateTensors = (m: Module): NamedTensors => [...m.namedParameters(), ...m.namedBuffers()];

const isNamed = (x: object): x is NamedTensors => Array.isArray(x);

/** The named tensors a checkpoint of `c` holds. */
export function checkpointTensors(c: CheckpointInput): CheckpointTensors {
  return {
    model: isNamed(c.model) ? c.model : stateTensors(c.model),
    optimizer: c.optimizer === undefined ? undefined : isNamed(c.optimizer) ? c.optimizer : c.optimizer.state(),
    metadata: c.metadata,
  };
}

/** The bytes of a checkpoint (reads every tensor back from its backend). */
export const checkpointBytes = (c: CheckpointInput): Promise<Uint8Array> => serializeCheckpoint(checkpointTensors(c));

/** Load a PyTorch-style state dict (parameters and buffers) into a module, checking every name and shape. */
export function loadStateDict(module: Module, tensors: Map<string, StTensor>, opts: LoadOptions = {}): void {
  loadNamed(stateTensors(module), tensors, { what: 'model', ...opts });
}

/** Restore optimizer state tensors (as returned by `optimizer.state()`) for resuming. */
export function loadOptimizerState(optimizer: Optimizer, tensors: Map<string, StTensor>, opts: LoadOptions = {}): void {
  loadNamed(optimizer.state(), tensors, { what: 'optimizer', ...opts });
}

/**
 * The architecture of a checkpoint: what its metadata records (src/nn/arch.ts). For a file that
 * records none (a PyTorch export) or only the model's name (written before robustlens recorded the
 * geometry), `fallback` stands in; its model must then be the one the file names.
 */
export function checkpointArch(ck: Pick<Checkpoint, 'metadata'>, file: string, fallback?: ArchSpec): ArchSpec {
  const found = archFromMetadata(ck.metadata, file);
  if (found.kind === 'full') return found.spec;
  if (found.kind === 'name' && fallback && fallback.model !== found.model) {
    throw new FormatError(`checkpoint ${file}: its metadata names ${found.model}, but ${fallback.model} was asked for`);
  }
  if (fallback) return fallback;
  throw new FormatError(
    found.kind === 'name'
      ? `checkpoint ${file}: its metadata names ${found.model} but not the input geometry (written before robustlens recorded it); give the architecture (loadModel(path, { arch }))`
      : `checkpoint ${file}: records no architecture (a PyTorch export, or a file not written by robustlens); give one (loadModel(path, { arch }))`,
  );
}

export interface ModelFromCheckpointOptions {
  /** The architecture when the file records none or only its name (see checkpointArch). */
  arch?: ArchSpec;
  /** Seed of the initialisation the checkpoint then overwrites (default 0). */
  seed?: number;
  backend?: Backend<any>;
  /** Reject stored tensors the model does not have (default true). */
  strict?: boolean;
}

/** A model rebuilt from a parsed checkpoint: its recorded architecture, its weights (names and shapes checked). */
export function modelFromCheckpoint(ck: Checkpoint, file: string, opts: ModelFromCheckpointOptions = {}): { model: Module; arch: ArchSpec } {
  const arch = checkpointArch(ck, file, opts.arch);
  const model = buildArch(arch, { seed: opts.seed, backend: opts.backend });
  try {
    loadStateDict(model, ck.model, { file, strict: opts.strict });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, arch };
}
