import { tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import { full } from '../ops/creation.js';
import { flatten } from '../ops/layout.js';
import type { Tensor } from '../tensor.js';
import { Conv2d, GlobalAvgPool2d, MaxPool2d } from './conv.js';
import { Dropout } from './dropout.js';
import { kaimingNormal } from './init.js';
import { Flatten, Linear, ReLU, Sequential, childContext, initTarget, type LayerOptions } from './layers.js';
import { Module, type ForwardContext } from './module.js';
import { BatchNorm2d } from './norm.js';
import { ResNetSmall, type ResNetOptions } from './resnet.js';

/** Input geometry and seed shared by the zoo (defaults: 1×28×28, 10 classes, seed 0). */
export interface ModelOptions extends LayerOptions {
  inChannels?: number;
  inputSize?: number;
  classes?: number;
}

function geometry(name: string, o: ModelOptions): { c: number; s: number; k: number } {
  const c = o.inChannels ?? 1;
  const s = o.inputSize ?? 28;
  const k = o.classes ?? 10;
  for (const [n, v] of [['inChannels', c], ['inputSize', s], ['classes', k]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new ValueError(`${name}: ${n} must be a positive integer, got ${v}`);
  }
  return { c, s, k };
}

/**
 * cnn-small: the Sequential
 *   0 conv3×3(C→32, pad 1)  1 ReLU  2 maxpool 2  3 conv3×3(32→64, pad 1)  4 ReLU  5 maxpool 2
 *   6 flatten  7 linear(64·⌊⌊S/2⌋/2⌋²→128)  8 ReLU  9 linear(128→classes)
 * State-dict keys: 0.weight [32, C, 3, 3], 0.bias, 3.weight [64, 32, 3, 3], 3.bias,
 * 7.weight [128, 3136] (S = 28), 7.bias, 9.weight [classes, 128], 9.bias. PyTorch default init.
 */
export function cnnSmall(opts: ModelOptions = {}): Sequential {
  const { c, s, k } = geometry('cnnSmall', opts);
  const t = initTarget(opts);
  const lo = { rng: t.rng, backend: t.backend };
  const side = Math.floor(Math.floor(s / 2) / 2);
  if (side < 1) throw new ValueError(`cnnSmall: inputSize ${s} is too small for two 2×2 poolings (needs >= 4)`);
  return new Sequential(
    new Conv2d(c, 32, 3, { ...lo, padding: 1 }), new ReLU(), new MaxPool2d(2),
    new Conv2d(32, 64, 3, { ...lo, padding: 1 }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(64 * side * side, 128, lo), new ReLU(), new Linear(128, k, lo),
  );
}

export interface PlainCnnOptions extends ModelOptions {
  /** Convolutional layers, 6 to 8 (default 8). */
  depth?: number;
  /** Batch norm after each convolution (default true). */
  batchNorm?: boolean;
  /** Multiply every width by this (default 1; the study uses 0.5 to fit its time budget). */
  widthScale?: number;
}

/**
 * A deeper plain (residual-free) CNN for CKA block-structure studies. Each layer is
 * conv3×3(pad 1) [+ BN] + ReLU; widths 32, 32, 64, 64, 128, 128, 128, 128 (the first `depth`);
 * a 2×2 max pool follows layers 2 and 4; then global average pooling and a linear classifier.
 * Sequential indices with BN: conv i at 3i (+1 for its BN, +2 ReLU) plus the two pools, then
 * `pool`, `flatten`, `fc` by name. Convolutions get Kaiming-normal (fan_out) weights, zero bias.
 */
export function plainCnn(opts: PlainCnnOptions = {}): Sequential {
  const { c, s, k } = geometry('plainCnn', opts);
  const depth = opts.depth ?? 8;
  if (!(Number.isInteger(depth) && depth >= 2 && depth <= 8)) throw new ValueError(`plainCnn: depth ${depth} must be an integer in [2, 8] (the studies use 6 to 8)`);
  if (s < 4) throw new ValueError(`plainCnn: inputSize ${s} is too small for two 2×2 poolings (needs >= 4)`);
  const t = initTarget(opts);
  const bn = opts.batchNorm ?? true;
  const scale = opts.widthScale ?? 1;
  if (!(scale > 0)) throw new ValueError(`plainCnn: widthScale ${scale} must be > 0`);
  const widths = [32, 32, 64, 64, 128, 128, 128, 128].slice(0, depth).map((w) => Math.max(1, Math.round(w * scale)));
  const layers: Module[] = [];
  let inC = c;
  widths.forEach((w, i) => {
    const conv = new Conv2d(inC, w, 3, { rng: t.rng, backend: t.backend, padding: 1 });
    conv.setWeight(kaimingNormal(conv.weight.shape, t, { mode: 'fan_out', nonlinearity: 'relu' }));
    conv.setBias(full([w], 0, { backend: t.backend }));
    layers.push(conv);
    if (bn) layers.push(new BatchNorm2d(w, { backend: t.backend }));
    layers.push(new ReLU());
    if (i === 1 || i === 3) layers.push(new MaxPool2d(2));
    inC = w;
  });
  const named: [string, Module][] = layers.map((m, i) => [String(i), m]);
  named.push(['pool', new GlobalAvgPool2d()], ['flatten', new Flatten()], ['fc', new Linear(inC, k, { rng: t.rng, backend: t.backend })]);
  return new Sequential(...named);
}

/** The small ResNet for 28×28 (default) and 32×32 input; see ResNetSmall. */
export function resnetSmall(opts: ResNetOptions = {}): ResNetSmall {
  return new ResNetSmall(opts);
}

/**
 * TRADES' SmallCNN for MNIST (yaodongyu/TRADES models/small_cnn.py; methods.md §3.2), with its keys:
 * feature_extractor.{conv1, relu1, conv2, relu2, maxpool1, conv3, relu3, conv4, relu4, maxpool2} and
 * classifier.{fc1, relu1, drop, fc2, relu2, fc3}. Unpadded convolutions: 28 → 26 → 24 → 12 → 10 →
 * 8 → 4, so fc1 sees 64·4·4 = 1024. Init: Kaiming-normal conv weights and zero conv biases; fc3's
 * weight and bias zero; the other linears keep PyTorch's default.
 */
export class SmallCnnTrades extends Module {
  readonly featureExtractor: Sequential;
  readonly classifier: Sequential;
  readonly flatSize: number;

  constructor(opts: ModelOptions & { drop?: number } = {}) {
    super();
    const { c, s, k } = geometry('smallCnnTrades', opts);
    const side = Math.floor((Math.floor((s - 4) / 2) - 4) / 2);
    if (side < 1) throw new ValueError(`smallCnnTrades: inputSize ${s} is too small (needs >= 14 for four unpadded 3×3 convolutions and two poolings)`);
    const t = initTarget(opts);
    const lo = { rng: t.rng, backend: t.backend };
    const conv = (i: number, o: number): Conv2d => {
      const m = new Conv2d(i, o, 3, lo);
      m.setWeight(kaimingNormal(m.weight.shape, t));
      m.setBias(full([o], 0, { backend: t.backend }));
      return m;
    };
    this.featureExtractor = new Sequential(
      ['conv1', conv(c, 32)], ['relu1', new ReLU()], ['conv2', conv(32, 32)], ['relu2', new ReLU()], ['maxpool1', new MaxPool2d(2)],
      ['conv3', conv(32, 64)], ['relu3', new ReLU()], ['conv4', conv(64, 64)], ['relu4', new ReLU()], ['maxpool2', new MaxPool2d(2)],
    );
    this.flatSize = 64 * side * side;
    const fc3 = new Linear(200, k, lo);
    fc3.weight.dispose();
    fc3.weight = full([k, 200], 0, { backend: t.backend });
    fc3.bias!.dispose();
    fc3.bias = full([k], 0, { backend: t.backend });
    this.classifier = new Sequential(
      ['fc1', new Linear(this.flatSize, 200, lo)], ['relu1', new ReLU()], ['drop', new Dropout(opts.drop ?? 0.5, { rng: t.rng.fork('dropout') })],
      ['fc2', new Linear(200, 200, lo)], ['relu2', new ReLU()], ['fc3', fc3],
    );
  }

  override children(): [string, Module][] {
    return [['feature_extractor', this.featureExtractor], ['classifier', this.classifier]];
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    return tidy(() => {
      const f = this.featureExtractor.forward(x, childContext(ctx, 'feature_extractor'));
      return this.classifier.forward(flatten(f, 1), childContext(ctx, 'classifier'));
    });
  }
}

export const smallCnnTrades = (opts: ModelOptions & { drop?: number } = {}): SmallCnnTrades => new SmallCnnTrades(opts);

/** A multilayer perceptron: 0 flatten, then linear/ReLU pairs (keys 1.weight, 3.weight, …). */
export function mlp(opts: ModelOptions & { hidden?: readonly number[] } = {}): Sequential {
  const { c, s, k } = geometry('mlp', opts);
  const t = initTarget(opts);
  const layers: Module[] = [new Flatten()];
  let inF = c * s * s;
  for (const h of opts.hidden ?? [128]) {
    layers.push(new Linear(inF, h, { rng: t.rng, backend: t.backend }), new ReLU());
    inF = h;
  }
  layers.push(new Linear(inF, k, { rng: t.rng, backend: t.backend }));
  return new Sequential(...layers);
}

export type ModelName = 'cnn-small' | 'plain-cnn' | 'resnet-small' | 'small-cnn-trades' | 'mlp';

export type CreateModelOptions = ModelOptions & PlainCnnOptions & ResNetOptions & { drop?: number; hidden?: readonly number[] };

const registry: Record<ModelName, (o: CreateModelOptions) => Module> = {
  'cnn-small': cnnSmall,
  'plain-cnn': plainCnn,
  'resnet-small': resnetSmall,
  'small-cnn-trades': smallCnnTrades,
  mlp,
};

export const modelNames = Object.keys(registry) as ModelName[];

/** A model of the zoo by its CLI name, e.g. createModel('cnn-small', { seed: 1, inChannels: 3, inputSize: 32 }). */
export function createModel(name: string, opts: CreateModelOptions = {}): Module {
  const make = registry[name as ModelName];
  if (!make) throw new ValueError(`createModel: unknown model '${name}'; choose one of ${modelNames.join(', ')}`);
  return make(opts);
}
