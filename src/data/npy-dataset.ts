import { ShapeError, ValueError } from '../errors.js';
import { Dataset } from './dataset.js';
import type { NpyArray } from './npy.js';

/**
 * A user's own images and labels from two .npy arrays: images (N, C·H·W) (or (N, C, H, W)) in
 * [0, 1], float32 or float64, rows in PyTorch's C×H×W order; labels (N,) or (N, 1), of an integer
 * dtype or float with integer values, in [0, classes). Every check runs before the Dataset exists,
 * and each error names the file, the example and what to do.
 */
export interface NpyDatasetOptions {
  /** The model's number of classes: labels must lie below it (default 10). */
  classes?: number;
  /** File names for errors and the dataset's name. */
  images?: string;
  labels?: string;
}

export function npyDataset(images: NpyArray, labels: NpyArray, shape: readonly [number, number, number], o: NpyDatasetOptions = {}): Dataset {
  const fi = o.images ?? '<images>';
  const fl = o.labels ?? '<labels>';
  const classes = o.classes ?? 10;
  const [c, h, w] = shape;
  if (![c, h, w].every((d) => Number.isInteger(d) && d >= 1)) throw new ValueError(`npyDataset: shape [${shape.join(', ')}] must be three positive integers C, H, W`);
  if (!(Number.isInteger(classes) && classes >= 2)) throw new ValueError(`npyDataset: classes must be an integer >= 2, got ${classes}`);
  const per = c * h * w;
  if (images.dtype !== 'float32' && images.dtype !== 'float64') {
    throw new ValueError(`${fi}: images are ${images.dtype}; expected float32 or float64 in [0, 1] (e.g. (x / 255).astype(np.float32))`);
  }
  const s = images.shape;
  const n = s[0] ?? 0;
  const flat = s.length === 2 && s[1] === per;
  const nchw = s.length === 4 && s[1] === c && s[2] === h && s[3] === w;
  if (!flat && !nchw) {
    throw new ShapeError(`${fi}: images have shape (${s.join(', ')}), but --shape ${c},${h},${w} needs (N, ${per}) = (N, C·H·W) or (N, ${c}, ${h}, ${w}); reshape with x.reshape(len(x), -1) in C×H×W order`);
  }
  if (n === 0) throw new ShapeError(`${fi}: no images (N = 0)`);
  const ls = labels.shape;
  if (!(ls.length === 1 || (ls.length === 2 && ls[1] === 1))) throw new ShapeError(`${fl}: labels have shape (${ls.join(', ')}); expected (N,) or (N, 1)`);
  if (ls[0] !== n) throw new ShapeError(`${fi} holds ${n} images but ${fl} holds ${ls[0]} labels; they must describe the same examples in the same order`);
  const x = images.data as Float32Array | Float64Array;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!(v >= 0 && v <= 1)) {
      throw new ValueError(`${fi}: value ${v} of example ${Math.floor(i / per)} (feature ${i % per}) is outside [0, 1]; scale the images to [0, 1] first (e.g. x / 255)`);
    }
  }
  return new Dataset(Float32Array.from(x), labelValues(labels, classes, fl), [c, h, w], classes, fi);
}

function labelValues(labels: NpyArray, classes: number, file: string): Int32Array {
  if (labels.dtype === 'bool') throw new ValueError(`${file}: labels are bool; expected integer class indices in [0, ${classes})`);
  const out = new Int32Array(labels.data.length);
  for (let i = 0; i < out.length; i++) {
    const raw = labels.data[i]!;
    const v = typeof raw === 'bigint' ? (raw >= 0n && raw < BigInt(classes) ? Number(raw) : NaN) : raw;
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new ValueError(`${file}: label ${raw} of example ${i} is not an integer class in [0, ${classes}) (the model has ${classes} classes)`);
    }
    out[i] = v;
  }
  return out;
}
