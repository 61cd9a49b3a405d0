/// <reference lib="deno.ns" />
/**
 * robustlens in Deno, on Deno's built-in WebGPU: fit a line by gradient descent, with gradients from
 * the engine's autograd, and report what the adapter is.
 *
 * Run: npm run build && npx deno run --allow-all examples/deno/hello.ts   (scripts/test.sh runs it)
 * (Outside this repository, import from the published package instead of ../../dist/index.js.)
 */
// @ts-types="../../dist/index.d.ts"
import * as rl from '../../dist/index.js';

const { adapter } = await rl.init();
console.log(`robustlens on ${adapter!.runtime}, adapter: ${adapter!.description || adapter!.device}`);

// y = 3x - 2 plus a little deterministic noise, 64 points.
const n = 64;
const xs = Array.from({ length: n }, (_, i) => i / n - 0.5);
const ys = xs.map((x, i) => 3 * x - 2 + 0.01 * Math.sin(i * 12.9898));
const x = rl.tensor(xs, [n, 1]);
const y = rl.tensor(ys, [n, 1]);
let w = rl.zeros([1, 1]);
let b = rl.zeros([1]);

// 200 steps of plain gradient descent on the mean squared error. All of it stays on the GPU: only
// the final loss and parameters are read back (a readback costs Deno about 11 ms).
const lr = 0.5;
for (let step = 0; step < 200; step++) {
  const [w2, b2] = rl.tidy(() => {
    const { value, grads } = rl.valueAndGrad(() => rl.mean(rl.square(rl.sub(rl.add(rl.matmul(x, w), b), y))), [w, b]);
    value.dispose();
    return [rl.sub(w, rl.mul(grads[0]!, lr)), rl.sub(b, rl.mul(grads[1]!, lr))];
  });
  w.dispose();
  b.dispose();
  [w, b] = [w2!, b2!];
}
const loss = rl.tidy(() => rl.mean(rl.square(rl.sub(rl.add(rl.matmul(x, w), b), y))));
const [wv, bv, lv] = [(await w.data())[0]!, (await b.data())[0]!, (await loss.data())[0]!];
console.log(`fitted y = ${wv.toFixed(4)} x ${bv < 0 ? '-' : '+'} ${Math.abs(bv).toFixed(4)}  (true: 3x - 2), mse ${lv.toExponential(2)}`);
for (const t of [x, y, w, b, loss]) t.dispose();
const { tensors } = rl.memory();
rl.shutdown();
const ok = Math.abs(wv - 3) < 0.02 && Math.abs(bv + 2) < 0.02 && tensors === 0;
console.log(ok ? 'deno example: ok' : `deno example: FAILED (${tensors} tensors left)`);
Deno.exit(ok ? 0 : 1);
