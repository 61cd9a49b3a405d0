import { contiguousView } from '../types.js';
import { FormatError, ValueError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { serializeSafetensors, type StTensor, type StWrite } from './safetensors.js';
import { parseTensorFile } from './tensor-file.js';

/**
 * Checkpoints as safetensors with PyTorch's key names and layouts.
 *
 * Keys: model parameters and buffers under their `Module.namedParameters/namedBuffers` names, which
 * are PyTorch state_dict keys (`features.0.weight`, `bn1.running_mean`); conv weights are
 * [out, in, kh, kw], linear weights [out, in], exactly as in PyTorch. Optimizer state goes under
 * `optimizer/<name>` ('/' never occurs in a PyTorch parameter name). From Python:
 *
 *   sd = safetensors.torch.load_file("ckpt.safetensors")
 *   model.load_state_dict({k: v for k, v in sd.items() if not k.startswith("optimizer/")})
 *
 * and a PyTorch state_dict saved with `save_file(model.state_dict(), path)` loads here.
 * float32 tensors are stored as F32, int32 ones as I32; loading accepts F32/F64/F16/BF16 for
 * float32 and I32/I64/I16/I8/U8 for int32 tensors (PyTorch's num_batches_tracked is I64).
 *
 * This file is the format on named tensors; src/train/checkpoint.ts binds it to modules and
 * optimizers (which sit above data/).
 */
export const OPTIMIZER_PREFIX = 'optimizer/';

/** Tensors by name, in order. */
export type NamedTensors = readonly (readonly [string, Tensor])[];

export interface CheckpointTensors {
  /** Parameters and buffers under their PyTorch state_dict names. */
  model: NamedTensors;
  /** Optimizer state tensors; stored under optimizer/. */
  optimizer?: NamedTensors;
  /** String metadata (numbers and objects are JSON-encoded), e.g. epoch, seed, config. */
  metadata?: Record<string, unknown>;
}

export interface Checkpoint {
  model: Map<string, StTensor>;
  optimizer: Map<string, StTensor>;
  metadata: Record<string, string>;
}

async function toWrite(t: Tensor): Promise<StWrite> {
  const data = await t.data();
  return { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: t.shape, data };
}

/** The bytes of a checkpoint (reads every tensor back from its backend). */
export async function serializeCheckpoint(c: CheckpointTensors): Promise<Uint8Array> {
  const entries: [string, StWrite][] = [];
  for (const [n, t] of c.model) {
    if (n.startsWith(OPTIMIZER_PREFIX)) throw new ValueError(`checkpoint: model tensor name "${n}" may not start with "${OPTIMIZER_PREFIX}"`);
    entries.push([n, await toWrite(t)]);
  }
  for (const [n, t] of c.optimizer ?? []) entries.push([OPTIMIZER_PREFIX + n, await toWrite(t)]);
  const metadata: Record<string, string> = { format: 'pt', producer: 'robustlens' };
  for (const [k, v] of Object.entries(c.metadata ?? {})) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return serializeSafetensors(entries, metadata);
}

/**
 * Parse checkpoint bytes (safetensors, or a PyTorch .pt/.pth state dict: see tensor-file.ts) and
 * split model from optimizer tensors.
 */
export function parseCheckpoint(bytes: Uint8Array, file = '<checkpoint>'): Checkpoint {
  const st = parseTensorFile(bytes, file);
  const model = new Map<string, StTensor>();
  const optimizer = new Map<string, StTensor>();
  for (const [n, t] of st.tensors) {
    if (n.startsWith(OPTIMIZER_PREFIX)) optimizer.set(n.slice(OPTIMIZER_PREFIX.length), t);
    else model.set(n, t);
  }
  return { model, optimizer, metadata: st.metadata };
}

/**
 * Overwrite a tensor's values in place (same storage, so optimizers and views holding it see the
 * new values). This is the one place data code writes into parameter storage: it uploads `values`
 * and copies them with the backend's writeView.
 */
export function assignTensor(t: Tensor, values: ArrayLike<number>): void {
  if (values.length !== t.size) throw new ValueError(`assignTensor: ${values.length} values for tensor ${fmtShape(t.shape)} (${t.size} elements)`);
  const b = t.backend;
  const src = b.fromData(values, t.dtype);
  try {
    b.writeView(t.storage('assignTensor'), contiguousView(t.shape), src);
  } finally {
    b.free(src);
  }
}

/** The values of a stored tensor converted for a float32 or int32 target, or a FormatError. */
function convert(name: string, s: StTensor, dtype: Tensor['dtype'], file: string): ArrayLike<number> {
  const float = s.dtype === 'F32' || s.dtype === 'F64' || s.dtype === 'F16' || s.dtype === 'BF16';
  if (dtype === 'float32') {
    if (!float) throw new FormatError(`checkpoint ${file}: "${name}" is stored as ${s.dtype} but the model tensor is float32 (expected F32, F64, F16 or BF16)`);
    return s.data as Float32Array | Float64Array;
  }
  if (float || s.dtype === 'BOOL') throw new FormatError(`checkpoint ${file}: "${name}" is stored as ${s.dtype} but the model tensor is int32 (expected I32 or I64)`);
  if (s.data instanceof BigInt64Array) {
    const out = new Int32Array(s.data.length);
    for (let i = 0; i < out.length; i++) {
      const v = s.data[i]!;
      if (v > 2147483647n || v < -2147483648n) throw new FormatError(`checkpoint ${file}: "${name}"[${i}] = ${v} does not fit int32`);
      out[i] = Number(v);
    }
    return out;
  }
  return s.data as Int32Array;
}

export interface LoadOptions {
  /** Reject stored tensors the target does not have (default true). Missing ones are always an error. */
  strict?: boolean;
  /** File name for errors. */
  file?: string;
  /** What is being loaded, for errors: 'model' or 'optimizer'. */
  what?: string;
}

/**
 * Load named tensors into existing ones: every target name must be present with the same shape
 * and a compatible dtype; with strict, no stored name may be left over. Everything is checked
 * before anything is written, so a failed load leaves the target untouched.
 */
export function loadNamed(target: NamedTensors, stored: Map<string, StTensor>, opts: LoadOptions = {}): void {
  const file = opts.file ?? '<checkpoint>';
  const what = opts.what ?? 'model';
  const missing: string[] = [];
  const plan: [Tensor, ArrayLike<number>][] = [];
  for (const [n, t] of target) {
    const s = stored.get(n);
    if (!s) {
      missing.push(n);
      continue;
    }
    if (s.shape.length !== t.shape.length || s.shape.some((d, i) => d !== t.shape[i])) {
      throw new FormatError(`checkpoint ${file}: ${what} tensor "${n}" has shape ${fmtShape(s.shape)} in the file but ${fmtShape(t.shape)} in the ${what}; was it saved from a different architecture?`);
    }
    plan.push([t, convert(n, s, t.dtype, file)]);
  }
  if (missing.length) throw new FormatError(`checkpoint ${file}: ${missing.length} ${what} tensor(s) missing from the file: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`);
  if (opts.strict ?? true) {
    const names = new Set(target.map(([n]) => n));
    const extra = [...stored.keys()].filter((n) => !names.has(n));
    if (extra.length) throw new FormatError(`checkpoint ${file}: ${extra.length} tensor(s) in the file that the ${what} does not have: ${extra.slice(0, 8).join(', ')}${extra.length > 8 ? ', …' : ''} (pass strict: false to ignore them)`);
  }
  for (const [t, v] of plan) assignTensor(t, v);
}
