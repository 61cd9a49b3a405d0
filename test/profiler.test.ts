// Per-kernel GPU times from timestamp queries (gpu/profiler.ts through GpuRuntime.startProfile):
// every dispatch while profiling is counted under its shader.entry, and the results are unchanged.
import { describe, expect, it } from 'vitest';
import { engine } from '../src/engine.js';
import * as rl from '../src/node.js';

describe('timestamp profiling', () => {
  it.runIf(engine.runtime?.canProfile)('counts each kernel by name and leaves results unchanged', async () => {
    const rt = engine.runtime!;
    rt.startProfile();
    const a = rl.tensor(Array.from({ length: 256 }, (_, i) => i));
    const outs = [];
    for (let i = 0; i < 300; i++) outs.push(rl.add(a, a)); // more passes than one query set holds (256)
    const s = rl.sum(a);
    expect(await s.item()).toBe((255 * 256) / 2);
    const times = await rt.stopProfile();
    const add = times.find((t) => t.kernel === 'elementwise.binary_contiguous_vec4');
    expect(add?.count).toBe(300);
    expect(add!.ms).toBeGreaterThan(0);
    expect(times.every((t) => Number.isFinite(t.ms) && t.ms >= 0 && t.count >= 1)).toBe(true);
    expect(times.map((t) => t.ms)).toEqual([...times.map((t) => t.ms)].sort((x, y) => y - x));
    expect(Array.from(await outs[299]!.data()).slice(0, 3)).toEqual([0, 2, 4]);
    for (const t of [a, s, ...outs]) t.dispose();
    // A new session counts only its own dispatches.
    const c = rl.ones([4]);
    rt.startProfile();
    const d = rl.add(c, c);
    expect(Array.from(await d.data())).toEqual([2, 2, 2, 2]);
    const again = await rt.stopProfile();
    expect(again.find((t) => t.kernel === 'elementwise.binary_contiguous')?.count).toBe(1);
    expect(again.find((t) => t.kernel === 'elementwise.binary_contiguous_vec4')).toBeUndefined();
    c.dispose();
    d.dispose();
  });
});
