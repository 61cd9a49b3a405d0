import { loadNamed, serializeCheckpoint, type CheckpointTensors, type LoadOptions, type NamedTensors } from '../data/checkpoint.js';
import type { StTensor } from '../data/safetensors.js';
import type { Module } from '../nn/module.js';
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
