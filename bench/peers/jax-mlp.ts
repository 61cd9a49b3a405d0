/**
 * Our `mlp` (src/nn/models.ts: flatten, linear, ReLU, linear) written in jax-js, holding a copy of one
 * of our models' weights, with its training step as one `jit`-compiled function: cross-entropy
 * (mean over the batch, from logSoftmax), `valueAndGrad` over the parameters, and SGD with momentum
 * in PyTorch's form (buf = m·buf + g, the first step's buf = g since buf starts at 0; p -= lr·buf),
 * which is what our SGD computes. Weights keep our layout ([out, in]), so no transposition of data.
 *
 * jax-js owns arrays by reference count: every call consumes its arguments. `step` consumes the
 * parameters and momentum buffers it is given and returns new ones (kept in `state`); x and the
 * one-hot labels are passed as `.ref` so they survive.
 */
import type { Module } from '../../src/nn/module.js';
import type { JaxPeer } from './jax.js';

type JArray = import('@jax-js/jax').Array;
type Params = { w1: JArray; b1: JArray; w2: JArray; b2: JArray };

export interface JaxMlp {
  /** One SGD step on (x [B, inFeatures], y one-hot [B, classes]); resolves with the loss once the updated parameters are computed. */
  step(x: JArray, y: JArray): Promise<number>;
  dispose(): void;
}

export async function jaxMlp(peer: JaxPeer, model: Module, opts: { lr: number; momentum: number; batch: number }): Promise<JaxMlp> {
  const { jax } = peer;
  const np = jax.numpy;
  const named = new Map(model.namedParameters());
  const get = async (name: string): Promise<JArray> => {
    const t = named.get(name);
    if (!t) throw new Error(`jaxMlp: the model has no parameter '${name}' (expected mlp's keys with one hidden layer: 1.weight, 1.bias, 3.weight, 3.bias)`);
    return np.array(Float32Array.from(await t.data())).reshape([...t.shape]);
  };
  let params: Params = { w1: await get('1.weight'), b1: await get('1.bias'), w2: await get('3.weight'), b2: await get('3.bias') };
  let bufs: Params = jax.tree.map((p: JArray) => np.zerosLike(p), jax.tree.ref(params)) as Params;
  const { lr, momentum, batch } = opts;

  const loss = (p: Params, x: JArray, y: JArray): JArray => {
    const h = jax.nn.relu(np.matmul(x, p.w1.transpose()).add(p.b1));
    const logits = np.matmul(h, p.w2.transpose()).add(p.b2);
    return jax.nn.logSoftmax(logits, -1).mul(y).sum().mul(-1 / batch);
  };
  const step = jax.jit((p: Params, buf: Params, x: JArray, y: JArray) => {
    const [l, g] = jax.valueAndGrad(loss)(jax.tree.ref(p), x, y) as [JArray, Params];
    const nextBuf = jax.tree.map((b: JArray, gi: JArray) => b.mul(momentum).add(gi), buf, g) as Params;
    const nextP = jax.tree.map((pi: JArray, bi: JArray) => pi.sub(bi.mul(lr)), p, jax.tree.ref(nextBuf)) as Params;
    return [l, nextP, nextBuf] as [JArray, Params, Params];
  });

  return {
    async step(x, y) {
      const [l, p, b] = step(params, bufs, x.ref, y.ref) as [JArray, Params, Params];
      params = p;
      bufs = b;
      const value = (await l.data())[0]!;
      await jax.blockUntilReady([params, bufs]);
      return value;
    },
    dispose() {
      jax.tree.dispose(params);
      jax.tree.dispose(bufs);
      step.dispose();
    },
  };
}
