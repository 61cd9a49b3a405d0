/**
 * PyTorch on the CPU as the peer of bench/train-step.ts and bench/pgd.ts: a child process
 * (bench/peers/torch-peer.py) that holds cnn-small with a copy of our model's weights and our batch
 * and answers one JSON line per request, so that its steps are timed interleaved with ours in one
 * bench run (it measures its own time, without the pipe). It uses every core.
 *
 * The interpreter: $ROBUSTLENS_PYTHON when set, else /usr/bin/python3 (Debian's python3-torch:
 * `bash scripts/install.sh --bench`), else the `python3` first on PATH; the first that imports torch.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Module } from '../../src/nn/module.js';
import { pairedRatio, type Row } from '../harness.js';

export interface TorchPeer {
  /** The interpreter that runs it (a path or a name on PATH). */
  python: string;
  version: string;
  threads: number;
  /** One request to the peer; rejects on its error, its exit, or after `timeoutMs`. */
  request<T>(msg: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Float32 values of a file the peer wrote (its `dump`s). */
  readFloats(path: string): Float32Array;
  dispose(): void;
}

let found: { python: string; version: string } | { missing: string } | null = null;

/** The first candidate interpreter that imports torch, or why there is none (looked up once). */
export function findTorchPython(): { python: string; version: string } | { missing: string } {
  if (found) return found;
  const env = process.env.ROBUSTLENS_PYTHON;
  const candidates = env ? [env] : ['/usr/bin/python3', 'python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (!r.error && r.status === 0) return (found = { python, version: r.stdout.trim() });
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return (found = { missing: `no interpreter imports torch (${tried.join('; ')}); install it with \`bash scripts/install.sh --bench\` or set ROBUSTLENS_PYTHON` });
}

type Array32 = Float32Array | Int32Array;

/**
 * Start the peer on `model`'s weights (cnn-small's state-dict names), the batch `x` and labels `y`.
 * Returns why not when PyTorch is missing; throws when it is there but fails to start.
 */
export async function startTorchPeer(model: Module, x: { data: Float32Array; shape: number[] }, y: Int32Array, classes = 10): Promise<TorchPeer | { skipped: string }> {
  const py = findTorchPython();
  if ('missing' in py) return { skipped: py.missing };
  const script = fileURLToPath(new URL('./torch-peer.py', import.meta.url));
  if (!existsSync(script)) return { skipped: `${script} is missing (run the bench from a checkout: npm run bench)` };

  const tensors: { name: string; data: Array32; shape: readonly number[] }[] = [];
  for (const [name, p] of model.namedParameters()) tensors.push({ name, data: Float32Array.from(await p.data()), shape: p.shape });
  tensors.push({ name: 'x', data: x.data, shape: x.shape }, { name: 'y', data: y, shape: [y.length] });
  const dir = mkdtempSync(join(tmpdir(), 'robustlens-torch-'));
  let offset = 0;
  const entries = tensors.map((t) => {
    const e = { name: t.name, dtype: t.data instanceof Int32Array ? 'int32' : 'float32', shape: t.shape, offset, bytes: t.data.byteLength };
    offset += t.data.byteLength;
    return e;
  });
  const blob = Buffer.concat(tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
  writeFileSync(join(dir, 'data.bin'), blob);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ classes, tensors: entries }));

  const child: ChildProcessWithoutNullStreams = spawn(py.python, [script, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const waiting: { resolve(line: string): void; reject(e: Error): void }[] = [];
  let exited: string | null = null;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  const fail = (why: string): void => {
    exited ??= why;
    for (const w of waiting.splice(0)) w.reject(new Error(`PyTorch peer (${py.python}): ${why}${stderr ? `; stderr: ${stderr.trim()}` : ''}`));
  };
  child.on('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
  child.on('error', (e) => fail(e.message));
  child.stdin.on('error', (e) => fail(`its stdin: ${e.message}`)); // EPIPE once it died: an answer, not a crash
  const next = (timeoutMs: number): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      if (exited) return reject(new Error(`PyTorch peer (${py.python}): ${exited}${stderr ? `; stderr: ${stderr.trim()}` : ''}`));
      const timer = setTimeout(() => {
        child.kill();
        fail(`no answer within ${timeoutMs / 1000} s`);
      }, timeoutMs);
      waiting.push({
        resolve: (l) => (clearTimeout(timer), resolve(l)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  const parse = <T>(line: string): T => {
    const msg = JSON.parse(line) as T & { error?: string };
    if (msg.error) throw new Error(`PyTorch peer (${py.python}): ${msg.error}`);
    return msg;
  };
  const dispose = (): void => {
    if (exited === null) {
      fail('disposed');
      child.stdin.end();
      child.kill();
    }
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', dispose);
  };
  process.once('exit', dispose); // a process that ends without dispose() (process.exit, a timed-out test) leaves nothing behind
  try {
    const ready = parse<{ threads: number; version: string }>(await next(120_000));
    return {
      python: py.python,
      version: ready.version,
      threads: ready.threads,
      async request<T>(msg: Record<string, unknown>, timeoutMs = 600_000): Promise<T> {
        const answer = next(timeoutMs);
        child.stdin.write(`${JSON.stringify(msg)}\n`);
        return parse<T>(await answer);
      },
      readFloats: (path) => {
        const b = readFileSync(path);
        return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      },
      dispose,
    };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** The note on our row: ours / PyTorch's time per interleaved round. */
export function torchRounds(ours: readonly number[], torch: readonly number[]): string {
  const pr = pairedRatio(ours, torch);
  return `ours / PyTorch per round: median ${pr.median.toFixed(2)} (${pr.min.toFixed(2)}-${pr.max.toFixed(2)})`;
}

/** A PyTorch row: its device is the CPU (no fraction of the adapter's ceiling), with its interpreter and threads. */
export function torchRow(peer: TorchPeer, op: string, shape: string, ms: number, firstMs: number, rate: number): Row {
  return {
    adapter: `PyTorch ${peer.version} CPU`, op, shape, ms, compileMs: firstMs, rate, unit: 'GFLOP/s',
    note: `${peer.threads} threads (torch.set_num_threads(os.cpu_count())), ${peer.python}; child process, timed by itself, interleaved with ours`,
  };
}
