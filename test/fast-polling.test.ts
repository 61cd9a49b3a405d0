// Honest globals (issue 13, item 8): fast polling takes over globalThis.setImmediate only when
// asked (init({ fastPolling })), and in its scoped form only while the engine itself waits for the
// GPU, reference-counted across overlapping waits, putting the original back after. (The test
// setup turns it on: init({ fastPolling: true }).)
import { afterEach, describe, expect, it } from 'vitest';
import { engine } from '../src/engine.js';
import { fastPolling, fastPollingActive, setFastPolling, withFastPolling } from '../src/gpu/fast-polling.js';
import * as rl from '../src/node.js';

const original = globalThis.setImmediate;

/** A promise and its resolver, to hold a wait open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

afterEach(async () => {
  await rl.init({ fastPolling: true }); // back to the setup's choice
  globalThis.setImmediate = original;
});

describe('fast polling', () => {
  it("is scoped here, and outside the engine's waits setImmediate is the original", () => {
    expect(fastPolling()).toBe('scoped');
    expect(globalThis.setImmediate).toBe(original);
    expect(fastPollingActive()).toBe(false);
  });

  it('swaps the gentle setImmediate in while the engine waits (sync, readback) and puts the original back', async () => {
    const rt = engine.runtime!;
    const s = rt.sync();
    expect(fastPollingActive()).toBe(true); // entered before Dawn schedules its first poll
    expect(globalThis.setImmediate).not.toBe(original);
    await s;
    expect(globalThis.setImmediate).toBe(original);
    const x = rt.createStorage(16, 'test.poll');
    const r = rt.read(x, 16, 'test.poll');
    expect(fastPollingActive()).toBe(true);
    expect((await r).byteLength).toBe(16);
    expect(globalThis.setImmediate).toBe(original);
    rt.releaseStorage(x);
    // A tensor's data() gives the same numbers as always.
    const t = rl.tensor([1, 2, 3]);
    const sq = rl.mul(t, t);
    expect(Array.from(await sq.data())).toEqual([1, 4, 9]);
    expect(globalThis.setImmediate).toBe(original);
    t.dispose();
    sq.dispose();
  });

  it('counts overlapping waits: the original comes back when the last one ends', async () => {
    const a = gate();
    const b = gate();
    const wa = withFastPolling(() => a.promise);
    const wb = withFastPolling(() => b.promise);
    const sync = engine.runtime!.sync();
    expect(fastPollingActive()).toBe(true);
    a.open();
    await wa;
    await sync;
    expect(fastPollingActive()).toBe(true); // b still waits
    b.open();
    await wb;
    expect(fastPollingActive()).toBe(false);
    expect(globalThis.setImmediate).toBe(original);
  });

  it('the gentle setImmediate still runs the callback with its arguments', async () => {
    const g = gate();
    const w = withFastPolling(() => g.promise);
    const got = await new Promise((resolve) => globalThis.setImmediate((a: number, b: string) => resolve([a, b]), 1, 'two'));
    expect(got).toEqual([1, 'two']);
    g.open();
    await w;
  });

  it("an application's own setImmediate, installed during a wait, is left in place", async () => {
    const g = gate();
    const w = withFastPolling(() => g.promise);
    const theirs = ((fn: () => void) => original(fn)) as unknown as typeof setImmediate;
    globalThis.setImmediate = theirs;
    g.open();
    await w;
    expect(globalThis.setImmediate).toBe(theirs);
  });

  it('off never touches the global; always keeps the gentle one until turned back', async () => {
    await rl.init({ fastPolling: false });
    expect(fastPolling()).toBe('off');
    const s = engine.runtime!.sync();
    expect(globalThis.setImmediate).toBe(original);
    await s;
    const x = rl.tensor([2, 3]);
    expect(Array.from(await x.data())).toEqual([2, 3]);
    expect(globalThis.setImmediate).toBe(original);
    await rl.init({ fastPolling: 'always' });
    expect(fastPollingActive()).toBe(true);
    expect(Array.from(await x.data())).toEqual([2, 3]);
    expect(fastPollingActive()).toBe(true);
    setFastPolling('scoped');
    expect(globalThis.setImmediate).toBe(original);
    x.dispose();
  });
});
