/**
 * Two of our models written in jax-js, holding a copy of one of our instances' weights so that both
 * engines compute the same function (bench/jax.ts checks that they do). jax-js's convolution is
 * NCHW with [O, C, kh, kw] kernels and Linear weights stay [out, in]: our layouts, so the numbers
 * are copied as they are, flatten orders included.
 *   mlp (one hidden layer): flatten, linear, ReLU, linear.
 *   cnn-small: conv3x3(pad 1) + bias, ReLU, maxpool 2, conv3x3(pad 1) + bias, ReLU, maxpool 2,
 *   flatten, linear, ReLU, linear. Max pooling is a reshape and a max over the two window axes.
 */
import type { Module } from '../../src/nn/module.js';
import type { JaxPeer } from './jax.js';
import type { JaxParams } from './jax-train.js';

type JArray = import('@jax-js/jax').Array;

export interface JaxModel {
  params: JaxParams;
  /** Consumes p and x (jax-js's ownership rule). */
  forward(p: JaxParams, x: JArray): JArray;
}

async function copy(peer: JaxPeer, model: Module, keys: Record<string, string>, what: string): Promise<JaxParams> {
  const named = new Map(model.namedParameters());
  const out: JaxParams = {};
  for (const [k, name] of Object.entries(keys)) {
    const t = named.get(name);
    if (!t) throw new Error(`jax ${what}: the model has no parameter '${name}' (expected ${Object.values(keys).join(', ')})`);
    out[k] = peer.jax.numpy.array(Float32Array.from(await t.data())).reshape([...t.shape]);
  }
  return out;
}

const dense = (np: JaxPeer['jax']['numpy'], x: JArray, w: JArray, b: JArray): JArray => np.matmul(x, w.transpose()).add(b);

export async function jaxMlp(peer: JaxPeer, model: Module): Promise<JaxModel> {
  const { jax } = peer;
  const np = jax.numpy;
  const params = await copy(peer, model, { w1: '1.weight', b1: '1.bias', w2: '3.weight', b2: '3.bias' }, 'mlp (one hidden layer)');
  return {
    params,
    forward: (p, x) => dense(np, jax.nn.relu(dense(np, x.reshape([x.shape[0]!, -1]), p.w1!, p.b1!)), p.w2!, p.b2!),
  };
}

export async function jaxCnnSmall(peer: JaxPeer, model: Module): Promise<JaxModel> {
  const { jax } = peer;
  const np = jax.numpy;
  const params = await copy(peer, model, { c1: '0.weight', cb1: '0.bias', c2: '3.weight', cb2: '3.bias', w1: '7.weight', b1: '7.bias', w2: '9.weight', b2: '9.bias' }, 'cnn-small');
  const convRelu = (x: JArray, w: JArray, b: JArray): JArray => jax.nn.relu(jax.lax.conv(x, w, [1, 1], [[1, 1], [1, 1]]).add(b.reshape([1, -1, 1, 1])));
  const pool = (x: JArray): JArray => {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    return x.reshape([n, c, h / 2, 2, w / 2, 2]).max([3, 5]);
  };
  return {
    params,
    forward: (p, x) => {
      const h = pool(convRelu(pool(convRelu(x, p.c1!, p.cb1!)), p.c2!, p.cb2!));
      return dense(np, jax.nn.relu(dense(np, h.reshape([h.shape[0]!, -1]), p.w1!, p.b1!)), p.w2!, p.b2!);
    },
  };
}
