// The smoke checks that run outside Node: in Deno (test/deno/smoke.ts) and in headless Chromium
// (test/browser/smoke.mjs, through test/browser/smoke.html). Plain JavaScript so that both load
// it as is. `rl` is the built package (dist/index.js), already initialised on the runtime's WebGPU.
// Every GPU result is compared with the float64 CPU backend; readbacks are few (Deno pays ~11 ms each).

/** Largest |a - b| - (atol + rtol |b|) over two arrays; <= 0 means close. */
function excess(a, b, rtol = 1e-4, atol = 1e-5) {
  if (a.length !== b.length) return Infinity;
  let worst = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) - (atol + rtol * Math.abs(b[i]));
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

/** Seeded values in [-1, 1) (a small LCG: the checks must not depend on the engine's Rng). */
function values(n, seed) {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/**
 * Runs the checks; resolves to [{ name, ok, detail }]. Never throws for a failed comparison: the
 * caller reports every result (an exception inside a check becomes a failed result).
 */
export async function runSmoke(rl) {
  const results = [];
  const check = async (name, fn) => {
    try {
      const detail = await fn();
      results.push({ name, ok: true, detail: detail ?? '' });
    } catch (e) {
      results.push({ name, ok: false, detail: String(e && e.stack ? e.stack : e) });
    }
  };
  const before = rl.memory();
  const gpu = rl.getBackend();

  // Builds the same computation on a backend; returns the tensor to compare.
  const cases = {
    'add with broadcasting': (b) => rl.add(rl.tensor(values(15, 1), [3, 5], { backend: b }), rl.tensor(values(5, 2), [5], { backend: b })),
    'matmul 5x7 . 7x3': (b) => rl.matmul(rl.tensor(values(35, 3), [5, 7], { backend: b }), rl.tensor(values(21, 4), [7, 3], { backend: b })),
    'sum over axis 1': (b) => rl.sum(rl.tensor(values(2 * 3 * 67, 5), [2, 3, 67], { backend: b }), 1),
    'softmax of rows': (b) => rl.softmax(rl.tensor(values(4 * 11, 6), [4, 11], { backend: b })),
    'exp, tanh, relu chain': (b) => rl.relu(rl.tanh(rl.exp(rl.tensor(values(13, 7), [13], { backend: b })))),
  };
  for (const [name, build] of Object.entries(cases)) {
    await check(name, async () => {
      const g = rl.tidy(() => build(gpu));
      const c = rl.tidy(() => build(rl.cpu));
      try {
        const [gv, cv] = [await g.data(), await c.data()];
        if (g.shape.join() !== c.shape.join()) throw new Error(`shape ${g.shape} vs CPU ${c.shape}`);
        const e = excess(gv, cv);
        if (!(e <= 0)) throw new Error(`differs from the float64 CPU backend by ${e} beyond tolerance`);
        return `[${g.shape.join(', ')}] matches the CPU backend`;
      } finally {
        g.dispose();
        c.dispose();
      }
    });
  }

  await check('valueAndGrad of sum((x w)^2) matches the CPU backend', async () => {
    const run = (b) => {
      const x = rl.tensor(values(6 * 4, 8), [6, 4], { backend: b });
      const w = rl.tensor(values(4 * 3, 9), [4, 3], { backend: b });
      const { value, grads } = rl.valueAndGrad(() => rl.sum(rl.square(rl.matmul(x, w))), [w, x]);
      x.dispose();
      w.dispose();
      return [value, ...grads];
    };
    const g = run(gpu);
    const c = run(rl.cpu);
    try {
      for (let i = 0; i < g.length; i++) {
        const e = excess(await g[i].data(), await c[i].data(), 1e-4, 1e-4);
        if (!(e <= 0)) throw new Error(`${['value', 'dL/dw', 'dL/dx'][i]} differs from the CPU backend by ${e}`);
      }
      return 'value, dL/dw and dL/dx match';
    } finally {
      for (const t of [...g, ...c]) t.dispose();
    }
  });

  await check('memory() unchanged: no tensor or GPU buffer left behind', async () => {
    const after = rl.memory();
    if (after.tensors !== before.tensors || after.gpuBuffers !== before.gpuBuffers) {
      throw new Error(`before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    }
    return `${after.tensors} tensors, ${after.gpuBuffers} GPU buffers`;
  });
  return results;
}
