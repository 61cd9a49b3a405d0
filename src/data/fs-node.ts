/**
 * Node-only file access for src/data (exported from `robustlens/node`; browser bundles never
 * import it). Parsing lives in the browser-safe modules; this file reads, gunzips and writes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FormatError } from '../errors.js';
import { isGzip } from './bytes.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { concatImageSets, parseCifar10 } from './cifar.js';
import { Dataset } from './dataset.js';
import { idxImageSet, parseIdx, type IdxArray } from './idx.js';
import { parseNpy, serializeNpy, type Npy2D, type NpyReadOptions } from './npy.js';

/**
 * A file's bytes as a plain Uint8Array over the Buffer's memory (no copy). Node's error for a
 * directory (EISDIR) carries no path: it gets this one, so that every caller can say which file.
 */
async function readBytes(path: string): Promise<Uint8Array> {
  let b: Buffer;
  try {
    b = await readFile(path);
  } catch (e) {
    if (e instanceof Error && (e as { path?: unknown }).path === undefined) Object.assign(e, { path });
    throw e;
  }
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Decompressed files larger than this are refused (a gzip bomb must not exhaust memory). */
export const MAX_GUNZIP_BYTES = 1 << 30;

/** Read a file; gzip (by magic bytes, not by name) is decompressed with node:zlib. */
export async function readMaybeGzip(path: string, maxBytes = MAX_GUNZIP_BYTES): Promise<Uint8Array> {
  const bytes = await readBytes(path);
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes, { maxOutputLength: maxBytes });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    const big = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new FormatError(`gzip ${path}: ${big ? `decompresses to more than ${maxBytes} bytes` : `corrupt or truncated gzip data (${(e as Error).message})`}`);
  }
}

export async function readIdxFile(path: string): Promise<IdxArray> {
  return parseIdx(await readMaybeGzip(path), path);
}

/** An IDX image/label pair (e.g. t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz) as a Dataset. */
export async function loadIdxDataset(imagesPath: string, labelsPath: string, name = basename(imagesPath)): Promise<Dataset> {
  const s = idxImageSet(await readIdxFile(imagesPath), await readIdxFile(labelsPath), { images: imagesPath, labels: labelsPath });
  return new Dataset(s.images, s.labels, s.shape, s.classes, name);
}

/** Where Debian's dataset-fashion-mnist package installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST (or MNIST: same file names) from a directory, raw or .gz files. */
export async function loadFashionMnist(dir = FASHION_MNIST_DIR): Promise<{ train: Dataset; test: Dataset }> {
  const pick = (stem: string): string => {
    for (const p of [join(dir, `${stem}.gz`), join(dir, stem)]) if (existsSync(p)) return p;
    throw new FormatError(`IDX: neither ${stem}.gz nor ${stem} found in ${dir} (install dataset-fashion-mnist or pass the directory)`);
  };
  return {
    train: await loadIdxDataset(pick('train-images-idx3-ubyte'), pick('train-labels-idx1-ubyte'), 'fashion-mnist/train'),
    test: await loadIdxDataset(pick('t10k-images-idx3-ubyte'), pick('t10k-labels-idx1-ubyte'), 'fashion-mnist/test'),
  };
}

/** CIFAR-10 binary batches (one or more files, concatenated in the given order). */
export async function loadCifar10(paths: readonly string[], name = 'cifar10'): Promise<Dataset> {
  const sets = [];
  for (const p of paths) sets.push(parseCifar10(await readMaybeGzip(p), p));
  const s = concatImageSets(sets);
  return new Dataset(s.images, s.labels, s.shape, s.classes, name);
}

/**
 * Write a file so that readers see either the old or the complete new content, never a part:
 * write a temporary file in the same directory, fsync it, rename it over the target (atomic on
 * POSIX within one file system), then fsync the directory so the rename itself is durable.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  try {
    let off = 0;
    while (off < bytes.length) off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  try {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch {
    // Some file systems refuse fsync on directories; the rename has still happened.
  }
}

/** Write text (UTF-8) atomically, as writeFileAtomic: a crash never leaves a half-written file. */
export const writeTextAtomic = (path: string, text: string): Promise<void> => writeFileAtomic(path, new TextEncoder().encode(text));

/** Read and validate a checkpoint file (src/train/checkpoint-node.ts loads it into a module). */
export async function readCheckpointFile(path: string): Promise<Checkpoint> {
  return parseCheckpoint(await readBytes(path), path);
}

export async function readNpyFile(path: string, opts: NpyReadOptions = {}): Promise<Npy2D> {
  return parseNpy(await readBytes(path), path, opts);
}

export async function writeNpyFile(path: string, data: ArrayLike<number>, rows: number, cols: number, dtype?: 'float32' | 'float64'): Promise<void> {
  await writeFileAtomic(path, serializeNpy(data, rows, cols, dtype));
}
