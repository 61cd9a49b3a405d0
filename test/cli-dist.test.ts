// The built CLI as a user runs it, each command in a new process (issue 17, items 2 and 6):
// `--help` and `info` print nothing before their own output but Dawn's two start-up warnings and
// robustlens' one line saying they are harmless, and ROBUSTLENS_ADAPTER chooses the adapter
// without scripts/gpu-env.sh. dist/ is rebuilt first when it is missing or older than src/.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DRIVER_FILES } from '../src/gpu/adapter-choice.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');

/** The newest modification time of the files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Run a command to its end (asynchronously: a blocked worker loses its link to vitest). */
function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

beforeAll(async () => {
  const stale = !existsSync(cli) || statSync(cli).mtimeMs < Math.max(newest(join(root, 'src')), newest(join(root, 'shaders')));
  if (!stale) return;
  // As `npm run build` does, less the type checks of scripts/check-dist.mjs.
  for (const [cmd, ...args] of [['npx', 'tsup', '--silent'], [process.execPath, 'scripts/dts-shims.mjs']] as const) {
    const r = await exec(cmd, [...args], process.env);
    if (r.code !== 0) throw new Error(`building dist/ failed (${cmd} ${args.join(' ')}):\n${r.err}`);
  }
}, 600_000);

/** Run `node dist/cli.js ARGS` with extra environment; Dawn's variables come from the choice alone. */
function run(args: string[], env: Record<string, string | undefined> = {}) {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const k of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'ROBUSTLENS_ADAPTER']) delete base[k];
  return exec(process.execPath, [cli, ...args], { ...base, ...env });
}

const DAWN_WARNING = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;
const OUR_NOTE = "robustlens: Dawn's start-up warnings 'maxDynamic...BuffersPerPipelineLayout artificially reduced' are harmless (robustlens uses no dynamic offsets)";

describe('node dist/cli.js', () => {
  it('--help prints its usage first and nothing on stderr', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: robustlens <command>/);
    expect(r.err).toBe('');
    const i = await run(['info', '--help']);
    expect(i.out).toMatch(/^Usage: robustlens info/);
    expect(i.err).toBe('');
  });

  it('info prints its report first; stderr holds only Dawn\'s warnings and, once, the line saying they are harmless', async () => {
    const r = await run(['info']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^runtime {3}node /);
    const lines = r.err.split('\n').filter((l) => l !== '');
    const dawn = lines.filter((l) => DAWN_WARNING.test(l));
    expect(lines.filter((l) => !DAWN_WARNING.test(l) && l !== OUR_NOTE), 'anything else on stderr').toEqual([]);
    // The note follows Dawn's lines, once, exactly when Dawn clamped the limits it warns about.
    expect(lines.filter((l) => l === OUR_NOTE)).toHaveLength(dawn.length > 0 ? 1 : 0);
    if (dawn.length > 0) expect(lines.at(-1)).toBe(OUR_NOTE);
    expect(r.out).toMatch(/^ {2}maxDynamicUniformBuffersPerPipelineLayout +\d+$/m);
    // The adapters it can see: each driver file, whether it exists, which one is in use.
    expect(r.out).toMatch(/^adapters /m);
    for (const name of ['lavapipe', 'swiftshader', 'system']) expect(r.out).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it.runIf(existsSync(DRIVER_FILES.swiftshader))('ROBUSTLENS_ADAPTER=swiftshader node dist/cli.js info runs on SwiftShader', async () => {
    const r = await run(['info', '--json'], { ROBUSTLENS_ADAPTER: 'swiftshader' });
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.description).toMatch(/SwiftShader/);
    expect(report.adapterChoice).toBe('swiftshader');
    expect(report.vulkanIcd).toBe(DRIVER_FILES.swiftshader);
    const seen = Object.fromEntries(report.adapters.map((a: { name: string }) => [a.name, a]));
    expect(seen.swiftshader).toMatchObject({ driver: DRIVER_FILES.swiftshader, present: true, inUse: true, found: { adapter: expect.stringMatching(/SwiftShader/) } });
    expect(seen.lavapipe.inUse).toBe(false);
    expect(seen.system).toMatchObject({ driver: null, present: true, inUse: false });
  });

  it('an unknown adapter is one clear line and exit code 1, before any GPU work', async () => {
    const r = await run(['info'], { ROBUSTLENS_ADAPTER: 'swiftshade' });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe("robustlens info: init: unknown adapter 'swiftshade' (from ROBUSTLENS_ADAPTER); use auto, lavapipe, swiftshader, system\n");
  });
});
