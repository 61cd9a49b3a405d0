import { isPt, parsePt } from './pt.js';
import { parseSafetensors, type StTensor } from './safetensors.js';

/**
 * Named tensors from a weights file of either format, chosen by the file's content, not its name:
 * a PyTorch torch.save file (zip archive or legacy pickle; see pt.ts) or safetensors. Checkpoint
 * loading goes through here, so a `.pt` state dict loads wherever a safetensors checkpoint does.
 */
export type TensorFileFormat = 'safetensors' | 'pt-zip' | 'pt-legacy';

export interface TensorFile {
  format: TensorFileFormat;
  tensors: Map<string, StTensor>;
  /** safetensors' string metadata; empty for .pt files. */
  metadata: Record<string, string>;
}

export function parseTensorFile(bytes: Uint8Array, file = '<weights>'): TensorFile {
  if (isPt(bytes)) {
    const pt = parsePt(bytes, file);
    return { format: pt.format === 'zip' ? 'pt-zip' : 'pt-legacy', tensors: pt.tensors, metadata: {} };
  }
  const st = parseSafetensors(bytes, file);
  return { format: 'safetensors', tensors: st.tensors, metadata: st.metadata };
}
