// `robustlens info`, run in-process on the test's engine, with its measured FMA ceiling (the command
// lines themselves: cli-args.unit.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { captureConsole } from './helpers/capture.js';
import { init } from '../src/node.js';
import { FMA_SHAPE, fmaFlops } from '../src/kernels/ceiling.js';

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
    // The FMA ceiling (issue 17 item 7): about a second of the bench's FMA-bound kernel.
    const c = report.fmaCeiling;
    expect(c.gflops).toBeGreaterThan(0);
    expect(Number.isFinite(c.gflops)).toBe(true);
    expect(c.runs).toBeGreaterThanOrEqual(3);
    expect(c.launchesPerRun).toBeGreaterThanOrEqual(1);
    expect(c.medianGflops).toBeLessThanOrEqual(c.gflops);
    expect(c.seconds).toBeGreaterThanOrEqual(1);
    expect(c.seconds).toBeLessThan(10); // about one second; runs are sized to 50 ms even on a busy CPU
  });

  it('the ceiling counts the kernel\'s FLOPs: 8 chains × vec4 × (multiply + add) per iteration and invocation', () => {
    expect(fmaFlops(FMA_SHAPE.n, FMA_SHAPE.iters)).toBe(64 * 1024 * 1024 * 64);
    expect(fmaFlops(3, 5)).toBe(3 * 5 * 8 * 4 * 2);
  });

  it('info --no-ceiling skips the measurement', async () => {
    const { out } = captureConsole();
    expect(await main(['info', '--json', '--no-ceiling'])).toBe(0);
    expect(JSON.parse(out.join('\n')).fmaCeiling).toBeNull();
  });

  it('info prints runtime, adapter, driver and limits as text', async () => {
    const { out } = captureConsole();
    expect(await main(['info'])).toBe(0);
    const text = out.join('\n');
    for (const label of ['runtime', 'adapter', 'driver', 'features', 'limits', 'maxStorageBufferBindingSize']) {
      expect(text).toContain(label);
    }
    expect(text).toMatch(/^ceiling {3}\d+\.\d GFLOP\/s, FMA-bound kernel \(best of \d+ runs in \d+\.\d s, median \d+\.\d;/m);
  });
});
