// The determinism fingerprint (issue 8, item 6): one small seeded workload that every runtime runs
// on the built package (dist/index.js) — Node on lavapipe and on SwiftShader
// (scripts/fingerprint-node.mjs), Deno (test/deno/smoke.ts) and headless Chromium
// (test/browser/smoke.mjs) — and that scripts/compare-fingerprints.mjs compares pair by pair.
// Plain JavaScript, public API only, so that every runtime loads it as is. `rl` is the package,
// already initialised on the runtime's WebGPU. Readbacks are few (Deno pays ~11 ms each) and the
// model is small: the workload takes ~0.6 s in Node on lavapipe, ~2 s on SwiftShader, ~4 s in Deno.
//
// What it covers: host-seeded init (must be bitwise equal everywhere), three SGD-with-momentum
// steps and two Adam steps of a small CNN with batch norm on seeded 28×28 data (conv, pooling,
// batch norm, linear, cross-entropy and their gradients, both fused optimizers), logits of the
// trained model, PGD-L∞ adversarial examples, linear and debiased CKA between two layers, and a few
// plain ops (matmul, softmax, log-sum-exp, reductions).

/** Version of the workload: fingerprints of different versions are never compared. */
export const FINGERPRINT_VERSION = 1;

const SIDE = 28;
const CLASSES = 10;

/**
 * Seeded synthetic "digits": background noise in [0, 0.5) plus a bright horizontal band whose row
 * depends on the class, so that a few training steps have something to learn. Values lie in [0, 1].
 */
function images(rl, n, seed) {
  const rng = new rl.Rng(seed);
  const x = new Float32Array(n * SIDE * SIDE);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(CLASSES);
    y[i] = k;
    const top = 2 + 2 * k;
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const band = r >= top && r < top + 3 ? 0.45 : 0;
        x[(i * SIDE + r) * SIDE + c] = 0.5 * rng.uniform() + band;
      }
    }
  }
  return { x: rl.tensor(x, [n, 1, SIDE, SIDE]), y };
}

/**
 * The CNN: conv(1→8) ReLU pool, conv(8→16) BN ReLU pool, flatten, linear(784→10). ~9k parameters.
 * No bias before the batch norm: its true gradient is 0, and Adam would blow the rounding noise of
 * that 0 up to lr-sized steps, so the fingerprint would measure chaos instead of float32 rounding
 * (scripts/compare-fingerprints.mjs has the figures). For the same reason the learning rates are
 * ones at which the loss decreases.
 */
function model(rl, seed) {
  const { nn } = rl;
  const rng = new rl.Rng(seed);
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { rng, padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { rng, padding: 1, bias: false }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(16 * 7 * 7, CLASSES, { rng }),
  );
}

/** Seeded values in [-1, 1) as a tensor of the given shape. */
function values(rl, shape, seed) {
  const n = shape.reduce((a, b) => a * b, 1);
  return rl.tensor(new rl.Rng(seed).fillUniform(n, -1, 1), shape);
}

/**
 * Runs the workload; resolves to { arrays: { name: number[] }, ms }. Throws if anything fails or
 * if a tensor or GPU buffer is left behind. Array order and names are part of the fingerprint.
 */
export async function fingerprint(rl) {
  const t0 = performance.now();
  const before = rl.memory();
  const arrays = {};
  const read = async (name, t) => {
    try {
      arrays[name] = Array.from(await t.data());
    } finally {
      t.dispose();
    }
  };
  const m = model(rl, 7);
  const owned = [];
  try {
    // Host-seeded init: the same float32 bits on every runtime and adapter.
    const initial = rl.tidy(() => rl.concat(m.parameters().map((p) => rl.reshape(p, [p.size])), 0));
    await read('init.params', initial);

    // Training: SGD with momentum and weight decay for three batches, then Adam for two.
    const batches = [11, 12, 13, 14, 15].map((s) => images(rl, 16, s));
    owned.push(...batches.map((b) => b.x));
    const names = m.namedParameters();
    const params = names.map(([, p]) => p);
    const sgd = new rl.optim.SGD(names, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    const adam = new rl.optim.Adam(names, { lr: 1e-3 });
    const losses = [];
    m.train();
    for (let i = 0; i < batches.length; i++) {
      const { x, y } = batches[i];
      const { value, grads } = rl.valueAndGrad(() => rl.nn.crossEntropy(m.forward(x), y), params);
      (i < 3 ? sgd : adam).step(params, grads);
      grads.forEach((g) => g.dispose());
      losses.push(value);
    }
    sgd.dispose();
    adam.dispose();
    const lossVec = rl.tidy(() => rl.concat(losses.map((l) => rl.reshape(l, [1])), 0));
    losses.forEach((l) => l.dispose());
    await read('train.loss', lossVec);
    // Parameters and batch-norm statistics (the module owns them: read, never disposed here).
    for (const [name, t] of [...names, ...m.namedBuffers()]) arrays[`state.${name}`] = Array.from(await t.data());

    // Evaluation on held-out data: logits, PGD-L∞ (random start, 5 steps), CKA of two layers.
    m.eval();
    const test = images(rl, 16, 21);
    owned.push(test.x);
    await read('eval.logits', rl.noGrad(() => m.forward(test.x)));
    const adv = await rl.robust.pgd(m, test.x, test.y, { eps: 0.03, steps: 5, alpha: 0.01, seed: 3 });
    arrays['pgd.loss'] = Array.from(adv.loss);
    arrays['pgd.success'] = Array.from(adv.success);
    await read('pgd.x', adv.x);
    const feats = rl.analysis.captureFeatures(m, test.x, { layers: ['2', '6'] });
    try {
      const [a, b] = [feats.get('2'), feats.get('6')];
      const lin = await rl.analysis.linearCka(a, b);
      const deb = await rl.analysis.debiasedCka(a, b);
      arrays['cka.linear'] = [lin.value, lin.hsic.xy, lin.hsic.xx, lin.hsic.yy];
      arrays['cka.debiased'] = [deb.value, deb.hsic.xy, deb.hsic.xx, deb.hsic.yy];
    } finally {
      for (const t of feats.values()) t.dispose();
    }

    // Plain ops on awkward shapes.
    const a = values(rl, [33, 47], 31);
    const b = values(rl, [47, 29], 32);
    owned.push(a, b);
    await read('ops.matmul', rl.matmul(a, b));
    await read('ops.softmax', rl.tidy(() => rl.softmax(rl.mul(a, 3), 1)));
    await read('ops.logsumexp', rl.logsumexp(a, 1));
    await read('ops.sum', rl.sum(b, 0));
    await read('ops.mean', rl.mean(a));
    await read('ops.max', rl.max(b, 1));
    await read('ops.variance', rl.variance(a, 0));
  } finally {
    m.dispose();
    owned.forEach((t) => t.dispose());
  }
  const after = rl.memory();
  if (after.tensors !== before.tensors || after.gpuBuffers !== before.gpuBuffers) {
    throw new Error(`fingerprint leaked: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
  }
  return { arrays, ms: Math.round(performance.now() - t0) };
}

/** A short adapter name for file names: lavapipe (llvmpipe), swiftshader, or the vendor/description. */
export function adapterTag(adapter) {
  const text = `${adapter?.vendor ?? ''} ${adapter?.architecture ?? ''} ${adapter?.device ?? ''} ${adapter?.description ?? ''}`.toLowerCase();
  if (text.includes('llvmpipe') || text.includes('lavapipe')) return 'lavapipe';
  if (text.includes('swiftshader')) return 'swiftshader';
  return (adapter?.description || adapter?.vendor || 'unknown').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unknown';
}

/**
 * The JSON document each runtime writes to out/fingerprints/<runtime>-<adapter>.json. `subgroupMinSize`
 * is what the engine saw (0 = no subgroup kernels): the matmul and conv variants depend on it.
 */
export function fingerprintDocument(runtime, engine, result) {
  const a = engine.adapter ?? {};
  return {
    format: 'robustlens-fingerprint',
    version: FINGERPRINT_VERSION,
    runtime,
    runtimeVersion: a.runtime ?? '',
    adapter: adapterTag(a),
    adapterInfo: {
      vendor: a.vendor ?? '', architecture: a.architecture ?? '', device: a.device ?? '', description: a.description ?? '',
      subgroups: (a.features ?? []).includes('subgroups'),
      subgroupMinSize: engine.runtime?.subgroupMinSize ?? 0,
    },
    ms: result.ms,
    arrays: result.arrays,
  };
}
