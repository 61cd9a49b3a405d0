/**
 * A training step in jax-js, as one `jit`-compiled function: cross-entropy (mean over the batch,
 * from logSoftmax against one-hot labels), `valueAndGrad` over the parameters, and SGD with momentum
 * in PyTorch's form (buf = m·buf + g, the first step's buf = g since buf starts at 0; p -= lr·buf),
 * which is what our SGD computes. The model is a parameter tree and a forward function
 * (bench/peers/jax-models.ts).
 *
 * jax-js owns arrays by reference count: every call consumes its arguments. The jitted step
 * consumes the parameters and momentum buffers it is given and returns new ones (kept here); x and
 * the one-hot labels are passed as `.ref` so they survive.
 */
import type { JaxPeer } from './jax.js';

type JArray = import('@jax-js/jax').Array;
export type JaxParams = Record<string, JArray>;

export interface JaxTrainer {
  /** One step on (x, y one-hot [B, classes]); resolves with the loss once the new parameters are computed. */
  step(x: JArray, y: JArray): Promise<number>;
  dispose(): void;
}

export function jaxSgdTrainer(
  peer: JaxPeer,
  params: JaxParams,
  forward: (p: JaxParams, x: JArray) => JArray,
  opts: { lr: number; momentum: number; batch: number },
): JaxTrainer {
  const { jax } = peer;
  const np = jax.numpy;
  const { lr, momentum, batch } = opts;
  let p = params;
  let bufs = jax.tree.map((a: JArray) => np.zerosLike(a), jax.tree.ref(p)) as JaxParams;
  const loss = (q: JaxParams, x: JArray, y: JArray): JArray => jax.nn.logSoftmax(forward(q, x), -1).mul(y).sum().mul(-1 / batch);
  const step = jax.jit((q: JaxParams, buf: JaxParams, x: JArray, y: JArray) => {
    const [l, g] = jax.valueAndGrad(loss)(jax.tree.ref(q), x, y) as [JArray, JaxParams];
    const nextBuf = jax.tree.map((b: JArray, gi: JArray) => b.mul(momentum).add(gi), buf, g) as JaxParams;
    const nextP = jax.tree.map((qi: JArray, bi: JArray) => qi.sub(bi.mul(lr)), q, jax.tree.ref(nextBuf)) as JaxParams;
    return [l, nextP, nextBuf] as [JArray, JaxParams, JaxParams];
  });
  return {
    async step(x, y) {
      const [l, q, b] = step(p, bufs, x.ref, y.ref) as [JArray, JaxParams, JaxParams];
      p = q;
      bufs = b;
      const value = (await l.data())[0]!;
      await jax.blockUntilReady([p, bufs]);
      return value;
    },
    dispose() {
      jax.tree.dispose(p);
      jax.tree.dispose(bufs);
      step.dispose();
    },
  };
}
