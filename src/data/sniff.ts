/**
 * What a file's first bytes look like, for error messages: "CHECKPOINT x.npy is not a checkpoint: it
 * looks like a NumPy .npy array". A guess from magic numbers only; nothing is parsed or trusted.
 */
const startsWith = (b: Uint8Array, magic: readonly number[]): boolean => b.length >= magic.length && magic.every((m, i) => b[i] === m);

/** Printable ASCII, tab, CR and LF: what a text file is made of (UTF-8 beyond ASCII is let through too). */
function looksLikeText(b: Uint8Array): boolean {
  const head = b.subarray(0, 512);
  return head.length > 0 && head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c !== 127));
}

/** A phrase naming the kind of content (e.g. "a NumPy .npy array"), or null when nothing is recognised. */
export function describeContent(b: Uint8Array): string | null {
  if (b.length === 0) return 'an empty file';
  if (startsWith(b, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'a NumPy .npy array';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return 'a zip archive (a PyTorch file or a NumPy .npz)';
  if (startsWith(b, [0x1f, 0x8b])) return 'gzip-compressed data';
  if (startsWith(b, [0x80]) && b.length > 1 && b[1]! >= 2 && b[1]! <= 5) return 'a Python pickle';
  if (startsWith(b, [0, 0]) && b.length >= 4 && b[2]! >= 0x08 && b[2]! <= 0x0e) return 'an IDX file (the MNIST format)';
  // safetensors: an 8-byte little-endian header length, then a JSON object.
  if (b.length >= 9 && b[8] === 0x7b && b[5] === 0 && b[6] === 0 && b[7] === 0) return 'a safetensors file';
  if (looksLikeText(b)) {
    const first = String.fromCharCode(...b.subarray(0, 64)).trimStart();
    if (first.startsWith('{') || first.startsWith('[')) return 'JSON text';
    if (first.startsWith('<')) return 'HTML or XML text';
    return 'a text file';
  }
  return null;
}
