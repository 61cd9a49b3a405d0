// The adapter choice works wherever it is made (issue 17, item 6): robustlens/node itself honours
// ROBUSTLENS_ADAPTER and init({ adapter }), pointing the Vulkan loader at the driver before Dawn is
// created; an unknown, missing or late choice is a clear error, never a silent fallback.
// (test/cli-dist.test.ts runs `ROBUSTLENS_ADAPTER=swiftshader node dist/cli.js info` in a new process.)
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { engine } from '../src/engine.js';
import { RobustlensError } from '../src/errors.js';
import { applyAdapterPlan, checkAdapterIs, driverAfter, DRIVER_FILES, planAdapter, type AdapterHost } from '../src/gpu/adapter-choice.js';
import * as rl from '../src/node.js';

const LVP = DRIVER_FILES.lavapipe;
const SWS = DRIVER_FILES.swiftshader;

/** A host with these driver files, this Mesa version and this environment. */
const host = (files: string[], env: Record<string, string> = {}, mesa: number | null = 25): AdapterHost => ({
  exists: (p) => files.includes(p),
  mesaMajor: () => mesa,
  env,
});

function error(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('planAdapter (the rules of scripts/gpu-env.sh)', () => {
  it('auto: lavapipe when installed and Mesa >= 25 (or unknown); the caller\'s driver variables are kept', () => {
    expect(planAdapter(undefined, host([LVP, SWS]))).toEqual({ name: 'auto', driver: LVP, source: 'ROBUSTLENS_ADAPTER' });
    expect(planAdapter('auto', host([LVP], {}, null)).driver).toBe(LVP);
    expect(planAdapter('auto', host([LVP], {}, 22)).driver).toBe('keep'); // Debian 12's own Mesa: Dawn rejects it
    expect(planAdapter('auto', host([])).driver).toBe('keep');
    expect(planAdapter('auto', host([LVP], { VK_ICD_FILENAMES: SWS })).driver).toBe('keep');
    expect(planAdapter(undefined, host([LVP], { VK_DRIVER_FILES: '/x.json' })).driver).toBe('keep');
    expect(driverAfter(planAdapter('auto', host([LVP], { VK_DRIVER_FILES: '/x.json' })), { VK_DRIVER_FILES: '/x.json' })).toBe('/x.json');
  });

  it('a named adapter is taken from init({ adapter }) before ROBUSTLENS_ADAPTER', () => {
    const env = { ROBUSTLENS_ADAPTER: 'lavapipe' };
    expect(planAdapter(undefined, host([LVP, SWS], env))).toEqual({ name: 'lavapipe', driver: LVP, source: 'ROBUSTLENS_ADAPTER' });
    expect(planAdapter('swiftshader', host([LVP, SWS], env))).toEqual({ name: 'swiftshader', driver: SWS, source: 'init({ adapter })' });
    expect(planAdapter('system', host([LVP, SWS], env))).toEqual({ name: 'system', driver: null, source: 'init({ adapter })' });
  });

  it('an unknown adapter is an error that lists the choices and says where it came from', () => {
    const e = error(() => planAdapter(undefined, host([LVP], { ROBUSTLENS_ADAPTER: 'lavapip' })));
    expect(e).toBeInstanceOf(RobustlensError);
    expect(e.message).toBe("init: unknown adapter 'lavapip' (from ROBUSTLENS_ADAPTER); use auto, lavapipe, swiftshader, system");
    expect(error(() => planAdapter('gpu', host([LVP]))).message).toContain("unknown adapter 'gpu' (from init({ adapter }))");
  });

  it('a named adapter whose driver file is missing is an error with the path and the fix, never a fallback', () => {
    const l = error(() => planAdapter('lavapipe', host([SWS])));
    expect(l).toBeInstanceOf(RobustlensError);
    expect(l.message).toContain(`adapter 'lavapipe' (from init({ adapter })) needs ${LVP}, which is missing`);
    expect(l.message).toContain('scripts/setup.sh');
    const s = error(() => planAdapter(undefined, host([LVP], { ROBUSTLENS_ADAPTER: 'swiftshader' })));
    expect(s.message).toContain(`needs ${SWS}, which is missing; install the 'chromium' package`);
  });

  it('applying a plan sets both loader variables, clears them for system, and leaves them for keep', () => {
    const env: Record<string, string | undefined> = { VK_ICD_FILENAMES: '/old.json', OTHER: 'x' };
    applyAdapterPlan({ name: 'swiftshader', driver: SWS, source: '' }, env);
    expect(env).toEqual({ VK_ICD_FILENAMES: SWS, VK_DRIVER_FILES: SWS, OTHER: 'x' });
    applyAdapterPlan({ name: 'auto', driver: 'keep', source: '' }, env);
    expect(env).toEqual({ VK_ICD_FILENAMES: SWS, VK_DRIVER_FILES: SWS, OTHER: 'x' });
    applyAdapterPlan({ name: 'system', driver: null, source: '' }, env);
    expect(env).toEqual({ OTHER: 'x' });
  });

  it('an adapter that is not the one asked for is refused', () => {
    const plan = { name: 'swiftshader' as const, driver: SWS, source: 'ROBUSTLENS_ADAPTER' };
    expect(() => checkAdapterIs(plan, { device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' })).not.toThrow();
    expect(() => checkAdapterIs(plan, { device: 'llvmpipe', description: 'llvmpipe: Mesa 25' })).toThrow(
      "init: adapter 'swiftshader' (from ROBUSTLENS_ADAPTER) was asked for, but Dawn found 'llvmpipe llvmpipe: Mesa 25'",
    );
    expect(() => checkAdapterIs({ name: 'lavapipe', driver: LVP, source: '' }, { description: 'SwiftShader driver' })).toThrow(/asked for, but Dawn found/);
    expect(() => checkAdapterIs({ name: 'system', driver: null, source: '' }, { description: 'anything' })).not.toThrow();
  });
});

describe('robustlens/node in this process', () => {
  const saved = process.env.ROBUSTLENS_ADAPTER;
  afterEach(() => {
    if (saved === undefined) delete process.env.ROBUSTLENS_ADAPTER;
    else process.env.ROBUSTLENS_ADAPTER = saved;
  });

  // The engine of this file runs on one driver; the other software adapter is the late choice.
  const inUse = () => rl.nodeAdapter()!;
  const other = () => (inUse().driver === SWS ? 'lavapipe' : 'swiftshader');

  it('records the driver Dawn was created with, and the same choice again is accepted', async () => {
    const used = inUse();
    expect(used.driver).toBe(process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES || null);
    const named = used.driver === LVP ? 'lavapipe' : used.driver === SWS ? 'swiftshader' : null;
    if (named) expect((await rl.init({ adapter: named })).runtime).toBe(engine.runtime);
    expect((await rl.init({ adapter: 'auto' })).runtime).toBe(engine.runtime);
  });

  it('asking for another adapter after Dawn was created is an error that says why and what to do', async () => {
    const want = other();
    const e = await rl.init({ adapter: want }).catch((err: Error) => err);
    expect(e).toBeInstanceOf(RobustlensError);
    if (!existsSync(DRIVER_FILES[want])) return expect((e as Error).message).toContain('which is missing');
    expect((e as Error).message).toContain(`init: adapter '${want}' (from init({ adapter })) was asked for, but Dawn was already created in this process with ${inUse().driver}`);
    expect((e as Error).message).toContain(`start a new process with ROBUSTLENS_ADAPTER=${want}`);
    process.env.ROBUSTLENS_ADAPTER = want;
    const viaEnv = await rl.init().catch((err: Error) => err);
    expect((viaEnv as Error).message).toContain(`adapter '${want}' (from ROBUSTLENS_ADAPTER) was asked for`);
    expect(() => rl.nodeGpu()).toThrow(/already created/);
    expect(engine.backend.kind).toBe('webgpu'); // the running engine is untouched
  });

  it('an unknown adapter fails init with the choices; adapter cannot combine with a device or the CPU backend', async () => {
    process.env.ROBUSTLENS_ADAPTER = 'vulkan';
    await expect(rl.init()).rejects.toThrow("unknown adapter 'vulkan' (from ROBUSTLENS_ADAPTER)");
    delete process.env.ROBUSTLENS_ADAPTER;
    await expect(rl.init({ backend: 'cpu', adapter: 'lavapipe' })).rejects.toThrow("'adapter' chooses Dawn's Vulkan driver; it cannot apply together with backend: 'cpu'");
    await expect(rl.init({ device: engine.runtime!.device, adapter: 'lavapipe' })).rejects.toThrow('a device of your own');
    expect(engine.backend.kind).toBe('webgpu');
  });
});
