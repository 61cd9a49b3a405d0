// The CLI dispatcher and `robustlens info`, run in-process on the test's engine.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { captureConsole } from './helpers/capture.js';
import { init } from '../src/node.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('robustlens CLI', () => {
  it('info --json describes the adapter the engine uses', async () => {
    const { out } = captureConsole();
    expect(await main(['info', '--json'])).toBe(0);
    const report = JSON.parse(out.join('\n'));
    const { adapter } = await init();
    expect(report.runtime).toMatch(/^node \d+\./);
    expect(report.description).toBe(adapter!.description);
    expect(report.limits.maxStorageBufferBindingSize).toBe(adapter!.limits.maxStorageBufferBindingSize);
    expect(report.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
  });

  it('info prints runtime, adapter, driver and limits as text', async () => {
    const { out } = captureConsole();
    expect(await main(['info'])).toBe(0);
    const text = out.join('\n');
    for (const label of ['runtime', 'adapter', 'driver', 'features', 'limits', 'maxStorageBufferBindingSize']) {
      expect(text).toContain(label);
    }
  });

  it('--help lists the commands; each command has its own --help', async () => {
    const { out } = captureConsole();
    expect(await main(['--help'])).toBe(0);
    expect(out.join('\n')).toMatch(/info\s+print the runtime/);
    out.length = 0;
    expect(await main(['info', '--help'])).toBe(0);
    expect(out.join('\n')).toContain('Usage: robustlens info');
  });

  it('a wrong command line exits 2 with a hint', async () => {
    const { err } = captureConsole();
    expect(await main([])).toBe(2);
    expect(await main(['frobnicate'])).toBe(2);
    expect(err.join('\n')).toContain("unknown command 'frobnicate'");
    expect(await main(['info', '--colour'])).toBe(2);
    expect(err.join('\n')).toContain("Run 'robustlens info --help'");
  });
});
