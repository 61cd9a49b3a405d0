// Data files on disk: the real Fashion-MNIST labels file, gzip through node:zlib, atomic writes
// that a killed process cannot tear, and .npy interop with NumPy when python3-numpy is present.
// GPU-free.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../src/data/npy.js';
import { parseSafetensors } from '../src/data/safetensors.js';
import { FASHION_MNIST_DIR, readIdxFile, readMaybeGzip, readNpyFile, writeNpyFile } from '../src/data/fs-node.js';

const tmp = mkdtempSync(join(tmpdir(), 'rl-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fashionLabels = join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz');
describe('Fashion-MNIST on disk', () => {
  it.skipIf(!existsSync(fashionLabels))(`t10k labels (${fashionLabels}; skipped when dataset-fashion-mnist is not installed): 10,000 labels, 1,000 per class`, async () => {
    const lab = await readIdxFile(fashionLabels);
    expect(lab.type).toBe('uint8');
    expect(lab.dims).toEqual([10000]);
    const hist = new Array<number>(10).fill(0);
    for (const l of lab.data) hist[l]!++;
    expect(hist).toEqual(new Array(10).fill(1000));
  });
});

describe('gzip files (node:zlib)', () => {
  it('reads .gz and raw IDX files alike; corrupt and oversized gzip are FormatErrors', async () => {
    const idx = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 5, 6, 7]);
    writeFileSync(join(tmp, 'l.gz'), gzipSync(idx));
    writeFileSync(join(tmp, 'l.raw'), idx);
    expect(Array.from((await readIdxFile(join(tmp, 'l.gz'))).data)).toEqual([5, 6, 7]);
    expect(Array.from((await readIdxFile(join(tmp, 'l.raw'))).data)).toEqual([5, 6, 7]);
    writeFileSync(join(tmp, 'cut.gz'), gzipSync(idx).subarray(0, 12));
    await expect(readIdxFile(join(tmp, 'cut.gz'))).rejects.toThrow(/gzip .*cut\.gz: corrupt or truncated/);
    writeFileSync(join(tmp, 'bomb.gz'), gzipSync(new Uint8Array(1 << 20)));
    await expect(readMaybeGzip(join(tmp, 'bomb.gz'), 1 << 16)).rejects.toThrow(/decompresses to more than 65536 bytes/);
  });
});

describe('atomic writes', () => {
  it('a process killed (SIGKILL) while saving leaves the old or the new checkpoint, never a torn one', async () => {
    // Bundle a writer with esbuild (tsup's own dependency) so a plain `node` child can run it.
    const { build } = await import('esbuild');
    const writer = join(tmp, 'writer.mjs');
    const contents = `
      import { writeFileAtomic } from './src/data/fs-node.js';
      import { serializeSafetensors } from './src/data/safetensors.js';
      const n = 1 << 20;
      for (let k = 1; ; k++) {
        const bytes = serializeSafetensors([['w', { dtype: 'F32', shape: [n], data: new Float32Array(n).fill(k) }]], { k: String(k) });
        await writeFileAtomic(process.argv[2], bytes);
        process.stdout.write(k + '\\n');
      }`;
    await build({ stdin: { contents, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: writer, logLevel: 'silent' });
    const dir = mkdtempSync(join(tmp, 'kill-'));
    const path = join(dir, 'ck.safetensors');
    let kills = 0;
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, [writer, path], { stdio: ['ignore', 'pipe', 'inherit'] });
      let written = 0;
      let armed = false;
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          written += d.toString().split('\n').filter(Boolean).length;
          if (!armed && written >= 2 && (armed = true)) setTimeout(() => child.kill('SIGKILL'), 2 + 11 * round); // spread over the write cycle
        });
        child.on('exit', () => resolve());
      });
      kills++;
      const st = parseSafetensors(readFileSync(path), path);
      const k = Number(st.metadata.k);
      expect(k).toBeGreaterThanOrEqual(written);
      expect((st.tensors.get('w')!.data as Float32Array).every((v) => v === k)).toBe(true);
    }
    expect(kills).toBe(6);
    // Only the target and possibly temp files of killed writes (.ck.safetensors.PID.HEX.tmp) remain.
    expect(readdirSync(dir).filter((f) => f !== 'ck.safetensors').every((f) => /^\.ck\.safetensors\.\d+\.[0-9a-f]+\.tmp$/.test(f))).toBe(true);
  });
});

// ---------- .npy interop with NumPy (an independent implementation) ----------

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
describe('.npy interop', () => {
  it.skipIf(!hasNumpy)('reads NumPy-written v1/v2/v3 files and NumPy reads ours (skipped without python3-numpy)', async () => {
    const py = `
import numpy as np, sys
d = sys.argv[1]
a = (np.arange(12, dtype=np.float64).reshape(3, 4) - 5.5) / 3
np.save(d + '/v1.npy', a.astype(np.float32))
for v in [(2, 0), (3, 0)]:
    with open(d + '/v%d.npy' % v[0], 'wb') as f:
        np.lib.format.write_array(f, a, version=v)
np.save(d + '/fortran.npy', np.asfortranarray(a))
np.save(d + '/cube.npy', np.zeros((2, 2, 2)))
np.save(d + '/ints.npy', np.zeros((2, 2), dtype=np.int64))
b = np.load(d + '/ours.npy')
print(b.dtype, b.shape, float(np.abs(b - a).max()))
`;
    await writeNpyFile(join(tmp, 'ours.npy'), Float64Array.from({ length: 12 }, (_, i) => (i - 5.5) / 3), 3, 4);
    const r = spawnSync('python3', ['-c', py, tmp], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('float64 (3, 4) 0.0');
    const want = Array.from({ length: 12 }, (_, i) => (i - 5.5) / 3);
    const v1 = await readNpyFile(join(tmp, 'v1.npy'));
    expect([v1.dtype, v1.rows, v1.cols]).toEqual(['float32', 3, 4]);
    v1.data.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    for (const v of ['v2', 'v3']) expect(Array.from((await readNpyFile(join(tmp, `${v}.npy`))).data)).toEqual(want);
    await expect(readNpyFile(join(tmp, 'fortran.npy'))).rejects.toThrow(/Fortran order/);
    await expect(readNpyFile(join(tmp, 'cube.npy'))).rejects.toThrow(/3 dimensions/);
    await expect(readNpyFile(join(tmp, 'ints.npy'))).rejects.toThrow(/unsupported dtype '<i8'/);
    expect(parseNpy(readFileSync(join(tmp, 'ours.npy'))).rows).toBe(3);
  });
});
