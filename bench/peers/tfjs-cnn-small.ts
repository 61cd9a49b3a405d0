/**
 * cnn-small (src/nn/models.ts) written with TF.js ops, NHWC, holding a copy of one of our models'
 * weights so that both engines compute the same function (the benchmarks check that they do):
 *   conv3x3(C->32, 'same') + bias + ReLU, maxpool 2, conv3x3(32->64, 'same') + bias + ReLU, maxpool 2,
 *   flatten, dense(->128) + ReLU, dense(128->classes).
 * Convolutions and dense layers use TF.js's fused bias + activation ops (its fastest path, with
 * gradients). Layout changes happen once here: conv weights [O, C, kh, kw] -> [kh, kw, C, O]; the
 * first dense layer's rows are permuted from our NCHW flatten order (c, h, w) to NHWC's (h, w, c).
 */
import type { Module } from '../../src/nn/module.js';
import type { Tensor as T, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import type { TfPeer } from './tfjs.js';

type Tf = TfPeer['tf'];

export interface TfCnnSmall {
  /** Weights in forward order: conv1 w, b, conv2 w, b, dense1 w, b, dense2 w, b. */
  weights: T[];
  /** x [B, H, W, C] -> logits [B, classes]. */
  forward(x: T): T;
  dispose(): void;
}

/** Copy `model`'s cnn-small weights (as `tf.variable`s when `trainable`, to train them with a TF.js optimizer). */
export async function tfCnnSmall(peer: TfPeer, model: Module, trainable: boolean): Promise<TfCnnSmall> {
  const { tf } = peer;
  const p = new Map(model.namedParameters());
  const get = async (name: string): Promise<{ data: Float32Array; shape: readonly number[] }> => {
    const t = p.get(name);
    if (!t) throw new Error(`tfCnnSmall: the model has no parameter '${name}' (expected cnnSmall's keys)`);
    return { data: Float32Array.from(await t.data()), shape: t.shape };
  };
  const w0 = await get('0.weight');
  const w3 = await get('3.weight');
  const w7 = await get('7.weight');
  const w9 = await get('9.weight');
  const side = Math.round(Math.sqrt(w7.shape[1]! / 64));
  if (64 * side * side !== w7.shape[1]) throw new Error(`tfCnnSmall: 7.weight ${w7.shape.join('x')} is not cnnSmall's dense layer`);
  const weights = tf.tidy(() => {
    const conv = (w: { data: Float32Array; shape: readonly number[] }): T => tf.transpose(tf.tensor4d(w.data, w.shape as [number, number, number, number]), [2, 3, 1, 0]);
    const dense1 = tf.reshape(tf.transpose(tf.tensor4d(w7.data, [w7.shape[0]!, 64, side, side]), [2, 3, 1, 0]), [w7.shape[1]!, w7.shape[0]!]);
    const dense2 = tf.transpose(tf.tensor2d(w9.data, w9.shape as [number, number]));
    return [conv(w0), conv(w3), dense1, dense2];
  });
  const biases = await Promise.all(['0.bias', '3.bias', '7.bias', '9.bias'].map(async (n) => tf.tensor1d((await get(n)).data)));
  const plain = [weights[0]!, biases[0]!, weights[1]!, biases[1]!, weights[2]!, biases[2]!, weights[3]!, biases[3]!];
  const held = trainable ? plain.map((t) => tf.variable(t, true)) : plain;
  if (trainable) plain.forEach((t) => t.dispose());
  const [c1w, c1b, c2w, c2b, d1w, d1b, d2w, d2b] = held as [T, T, T, T, T, T, T, T];
  const conv = (x: T, w: T, b: T): T =>
    tf.fused.conv2d({ x: x as Tensor4D, filter: w as Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' });
  return {
    weights: held,
    forward(x) {
      return tf.tidy(() => {
        let h = tf.maxPool(conv(x, c1w, c1b) as Tensor4D, 2, 2, 'valid');
        h = tf.maxPool(conv(h, c2w, c2b) as Tensor4D, 2, 2, 'valid');
        const flat = tf.reshape(h, [h.shape[0]!, -1]);
        const hidden = tf.fused.matMul({ a: flat as Tensor2D, b: d1w as Tensor2D, bias: d1b, activation: 'relu' });
        return tf.fused.matMul({ a: hidden, b: d2w as Tensor2D, bias: d2b });
      });
    },
    dispose() {
      held.forEach((t) => t.dispose());
    },
  };
}
