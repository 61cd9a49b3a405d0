/**
 * Feature capture for CKA (methods.md §1.6, §1.9.7–8, §5.1): run a Module in eval mode without
 * gradients, collect every leaf output it reports through ctx.tap, flattened per example to
 * [B, features] (optionally global-average-pooled over H and W for 4-D outputs), and feed one batch at
 * a time to a minibatch CKA accumulator, so a 10,000-image evaluation never holds all its features.
 */
import { noGrad } from '../autograd/tape.js';
import { keep, tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Module } from '../nn/module.js';
import { mean } from '../ops/reduce.js';
import { reshape } from '../ops/layout.js';
import { Tensor } from '../tensor.js';
import { MinibatchCka, type CkaMatrix } from './minibatch.js';

export interface CaptureOptions {
  /** Keep only these layers (qualified names as tapped), in this order. Default: every tapped output. */
  layers?: readonly string[];
  /** Global-average-pool 4-D [B, C, H, W] outputs to [B, C] (the --pool_features of (a)). */
  pool?: boolean;
  /** Also capture the input itself, flattened, as layer 'input'. */
  includeInput?: boolean;
}

function flattenFeature(t: Tensor, pool: boolean): Tensor {
  if (t.rank === 0) throw new ShapeError(`captureFeatures: a tapped output is a scalar; features need a batch axis`);
  if (pool && t.rank === 4) return mean(t, [2, 3]);
  return reshape(t, [t.shape[0]!, t.size / t.shape[0]!]);
}

/**
 * One forward pass of `model` on x in eval mode under noGrad. Returns the captured features by layer
 * name (insertion order = forward order); the caller disposes them. The model's train/eval state is
 * restored afterwards. A name tapped twice (a module reused) gets a `#2`, `#3`… suffix.
 */
export function captureFeatures(model: Module, x: Tensor, opts: CaptureOptions = {}): Map<string, Tensor> {
  const wasTraining = model.training;
  model.eval();
  const pool = opts.pool ?? false;
  const want = opts.layers ? new Set(opts.layers) : null;
  try {
    const feats = noGrad(() =>
      tidy(() => {
        const out = new Map<string, Tensor>();
        if (opts.includeInput && (!want || want.has('input'))) out.set('input', flattenFeature(x, false));
        model.forward(x, {
          tap: (name, output) => {
            let key = name || 'output';
            for (let k = 2; out.has(key); k++) key = `${name}#${k}`;
            // Containers run their children inside their own tidy scopes: keep the feature out of them
            // (the caller disposes everything in the returned map).
            if (!want || want.has(key)) out.set(key, keep(flattenFeature(output, pool)));
          },
        });
        return out;
      }),
    );
    if (want) {
      const missing = [...want].filter((n) => !feats.has(n));
      if (missing.length > 0) {
        for (const t of feats.values()) t.dispose();
        throw new ValueError(`captureFeatures: the model reported no layer named ${missing.map((m) => `'${m}'`).join(', ')}; list the names with layerNames(model, x)`);
      }
      return new Map(opts.layers!.map((n) => [n, feats.get(n)!]));
    }
    return feats;
  } finally {
    model.train(wasTraining);
  }
}

/** The names captureFeatures would report for input x (runs one forward pass on the first example). */
export function layerNames(model: Module, x: Tensor, opts: Omit<CaptureOptions, 'layers'> = {}): string[] {
  const feats = captureFeatures(model, x, opts);
  const names = [...feats.keys()];
  for (const t of feats.values()) t.dispose();
  return names;
}

export interface LayerSimilarityOptions extends CaptureOptions {
  /** Column layers of the second model (default: `layers`, or all of them). */
  layersB?: readonly string[];
  /** Also report each row layer's first-principal-component variance share (CkaMatrix.firstPcRows). */
  firstPc?: boolean;
}

/**
 * One batch's inputs to each of two models: derived from the same examples, in the same order (e.g.
 * adversarial examples made against each model by its own attack).
 */
export interface PairedInputs {
  a: Tensor;
  b: Tensor;
}

/**
 * Layer × layer minibatch CKA: within one model (`b` null) or across two models (rows = a's layers,
 * columns = b's). `batches` yields input batches: one tensor both models see (clean inputs, or one
 * set of adversarial examples reused), or `{ a, b }`, each model's own inputs for the same examples;
 * for several passes, yield each pass's (reshuffled) batches in turn. The caller owns and disposes
 * the batches.
 */
export async function layerSimilarity(
  a: Module,
  b: Module | null,
  batches: Iterable<Tensor | PairedInputs> | AsyncIterable<Tensor | PairedInputs>,
  opts: LayerSimilarityOptions = {},
): Promise<CkaMatrix> {
  let acc: MinibatchCka | null = null;
  // One batch in flight: update() queues a batch's GPU work at once and resolves when its sums have
  // come back, so the previous batch's readback is awaited only after the next batch is queued and
  // the GPU never waits for JavaScript between batches. MinibatchCka adds the sums in batch order.
  let pending: Promise<void> | null = null;
  for await (const item of batches) {
    const x = item instanceof Tensor ? item : item.a;
    const xb = item instanceof Tensor ? item : item.b;
    if (!b && xb !== x) throw new ValueError('layerSimilarity: inputs for two models ({ a, b }) need a second model');
    if (xb.shape[0] !== x.shape[0]) throw new ShapeError(`layerSimilarity: the two models' inputs must hold the same examples; got batches ${fmtShape(x.shape)} and ${fmtShape(xb.shape)}`);
    const fa = captureFeatures(a, x, opts);
    let fb: Map<string, Tensor> | null = null;
    try {
      if (b) fb = captureFeatures(b, xb, { ...opts, layers: opts.layersB ?? opts.layers });
      acc ??= new MinibatchCka([...fa.keys()], fb ? [...fb.keys()] : undefined, { firstPc: opts.firstPc });
      const ra = [...fa.values()];
      const rb = fb ? [...fb.values()] : undefined;
      if (ra.length !== acc.rows.length || (rb && rb.length !== acc.cols.length)) {
        throw new ValueError(`layerSimilarity: the model reported ${ra.length} layers on this batch but ${acc.rows.length} on the first; give opts.layers`);
      }
      const done = acc.update(ra, rb);
      done.catch(() => undefined); // awaited below or on the next batch; an error thrown first must not leave it unhandled
      const previous = pending;
      pending = done;
      if (previous) await previous;
    } finally {
      for (const t of fa.values()) t.dispose();
      if (fb) for (const t of fb.values()) t.dispose();
    }
  }
  if (pending) await pending;
  if (!acc) throw new ValueError('layerSimilarity: no batches were given');
  return acc.result();
}

/** Shape check helper for callers assembling their own feature lists. */
export function describeFeatures(feats: Map<string, Tensor>): string {
  return [...feats].map(([n, t]) => `${n} ${fmtShape(t.shape)}`).join(', ');
}
