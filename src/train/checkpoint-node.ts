/**
 * Checkpoint files in Node (exported from `robustlens/node`; browser bundles never import it):
 * src/train/checkpoint.ts's checkpoints, written atomically and read back through src/data/fs-node.ts.
 */
import type { Checkpoint } from '../data/checkpoint.js';
import { readCheckpointFile, writeFileAtomic } from '../data/fs-node.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { ArchSpec } from '../nn/arch.js';
import { checkpointBytes, loadOptimizerState, loadStateDict, modelFromCheckpoint, type CheckpointInput, type ModelFromCheckpointOptions } from './checkpoint.js';

/** Save model (and optimizer) tensors plus metadata as one safetensors file, atomically. */
export async function saveCheckpoint(path: string, c: CheckpointInput): Promise<void> {
  await writeFileAtomic(path, await checkpointBytes(c));
}

export interface LoadCheckpointOptions {
  /** Load the stored parameters and buffers into this module (names and shapes checked). */
  model?: Module;
  /** Restore this optimizer's state tensors. */
  optimizer?: Optimizer;
  /** Reject stored tensors the model does not have (default true). */
  strict?: boolean;
}

/**
 * Read and validate a checkpoint; with `model`/`optimizer`, load it into them (all checks pass
 * before anything is written). Returns the stored tensors and metadata either way.
 */
export async function loadCheckpoint(path: string, opts: LoadCheckpointOptions = {}): Promise<Checkpoint> {
  const ck = await readCheckpointFile(path);
  const strict = opts.strict ?? true;
  if (opts.model) loadStateDict(opts.model, ck.model, { file: path, strict });
  if (opts.optimizer) loadOptimizerState(opts.optimizer, ck.optimizer, { file: path, strict });
  return ck;
}

/**
 * A model rebuilt from a checkpoint file: the architecture its metadata records (`opts.arch` for a
 * file that records none), with the stored weights. The caller disposes the model.
 */
export async function loadModel(path: string, opts: ModelFromCheckpointOptions = {}): Promise<{ model: Module; arch: ArchSpec }> {
  return modelFromCheckpoint(await readCheckpointFile(path), path, opts);
}
