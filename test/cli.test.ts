// `robustlens info`, run in-process on the test's engine (the command lines themselves:
// cli-args.unit.test.ts).
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
});
