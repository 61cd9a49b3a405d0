// Small data files for the dataset and CLI tests: .npy arrays of any dtype, CIFAR-10 batches and
// their directory layout (generated, never downloaded).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, vi } from 'vitest';
import { CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from '../../src/data/datasets-node.js';

/** A .npy file of any dtype and shape from raw little-endian bytes (as NumPy writes v1.0). */
export function npyFile(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  dict += ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + dict.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), 10);
  out.set(body, 10 + dict.length);
  return out;
}
/** A CIFAR-10 batch of n records: label (i + seed) % 10, pixel j = (seed·31 + i·7 + j) % 256. */
export function cifarBatch(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = (i + seed) % 10;
    for (let j = 0; j < 3072; j++) out[i * 3073 + 1 + j] = (seed * 31 + i * 7 + j) % 256;
  }
  return out;
}

/** A directory of small CIFAR-10 batches: `train` records per training batch (seeds 1–5, default 4), `test` test records (seed 9, default 6). */
export function cifarDir(root: string, skip: string[] = [], counts: { train?: number; test?: number } = {}): string {
  mkdirSync(root, { recursive: true });
  CIFAR10_TRAIN_FILES.forEach((f, i) => skip.includes(f) || writeFileSync(join(root, f), cifarBatch(counts.train ?? 4, i + 1)));
  if (!skip.includes(CIFAR10_TEST_FILE)) writeFileSync(join(root, CIFAR10_TEST_FILE), cifarBatch(counts.test ?? 6, 9));
  return root;
}


/**
 * A temporary directory for one test file, removed after it, and a writer of files into it; the
 * file's spied console is restored after each test (the CLI tests capture it).
 */
export function testFiles(prefix: string): { dir: string; file: (name: string, bytes: Uint8Array | string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());
  const file = (name: string, bytes: Uint8Array | string): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  return { dir, file };
}
