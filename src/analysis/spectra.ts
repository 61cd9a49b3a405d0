/**
 * 2-D DFT power spectra (as products with cos/sin matrices) and the high-frequency energy share of
 * maps and filters (methods.md §5.2.2), on either backend.
 */
import { tidy } from '../engine.js';
import { ShapeError, fmtShape } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { add, mul, square, sub } from '../ops/elementwise.js';
import { reshape } from '../ops/layout.js';
import { matmul, matmulT } from '../ops/matmul.js';
import { sum } from '../ops/reduce.js';
import { Tensor } from '../tensor.js';
import { mapSize, safeRatio } from './map-util.js';

/** cos and sin of 2π k i / N for k < N, i < n, as [N, n] (angles reduced mod N in float64). */
function dftMatrices(N: number, n: number, backend: Tensor['backend']): { c: Tensor; s: Tensor } {
  const c = new Float64Array(N * n);
  const s = new Float64Array(N * n);
  for (let k = 0; k < N; k++) {
    for (let i = 0; i < n; i++) {
      const ang = (2 * Math.PI * ((k * i) % N)) / N;
      c[k * n + i] = Math.cos(ang);
      s[k * n + i] = Math.sin(ang);
    }
  }
  return { c: tensor(c, [N, n], { backend }), s: tensor(s, [N, n], { backend }) };
}

/**
 * |DFT|² of each map [..., h, w] zero-padded to N×N (N >= h, w; default max(h, w)) → [..., N, N],
 * unnormalised: X̂[k, l] = Σ_{i,j} x[i, j] e^{−2πi(ki + lj)/N}. Written as X̂ = F_h X F_wᵀ with the
 * first h (w) columns of the N-point DFT matrix, which is what zero-padding means.
 */
export function dft2Power(x: Tensor, size?: number): Tensor {
  const [h, w] = mapSize('dft2Power', x);
  const N = size ?? Math.max(h, w);
  if (!Number.isInteger(N) || N < h || N < w) throw new ShapeError(`dft2Power: size ${N} must be an integer >= the map size ${h}×${w}`);
  const lead = x.shape.slice(0, -2);
  return tidy(() => {
    const X = reshape(x, [-1, h, w]);
    const fh = dftMatrices(N, h, x.backend);
    const fw = h === w ? fh : dftMatrices(N, w, x.backend);
    const ch = matmul(fh.c, X);
    const sh = matmul(fh.s, X);
    const re = sub(matmulT(ch, fw.c, false, true), matmulT(sh, fw.s, false, true));
    const im = add(matmulT(sh, fw.c, false, true), matmulT(ch, fw.s, false, true)); // −Im; squared anyway
    return reshape(add(square(re), square(im)), [...lead, N, N]);
  });
}

/** Radial frequency of DFT index (k, l) on an N-point grid: sqrt(min(k, N−k)² + min(l, N−l)²). */
export function radialFrequency(N: number): Float64Array {
  const r = new Float64Array(N * N);
  for (let k = 0; k < N; k++) for (let l = 0; l < N; l++) r[k * N + l] = Math.hypot(Math.min(k, N - k), Math.min(l, N - l));
  return r;
}

/**
 * High-frequency energy share of power spectra [..., N, N] → [...]:
 * HF = Σ_{radius > r0} P / Σ P, radius in DFT index units; r0 defaults to half of Nyquist (N/4).
 */
export function highFrequencyShare(power: Tensor, r0?: number): Tensor {
  const [N, N2] = mapSize('highFrequencyShare', power);
  if (N !== N2) throw new ShapeError(`highFrequencyShare: spectra must be square [..., N, N], got ${fmtShape(power.shape)}`);
  const cut = r0 ?? N / 4;
  return tidy(() => {
    const mask = tensor(radialFrequency(N).map((r) => +(r > cut)), [N, N], { backend: power.backend });
    return safeRatio(sum(mul(power, mask), [-2, -1]), sum(power, [-2, -1]));
  });
}

/** Filters [O, I, kh, kw]: power summed over input channels (padded to N, default 16) and its HF share per filter. */
export function filterSpectrum(weight: Tensor, opts: { size?: number; r0?: number } = {}): { power: Tensor; hf: Tensor } {
  if (weight.rank !== 4) throw new ShapeError(`filterSpectrum: conv weight must be [out, in, kh, kw], got ${fmtShape(weight.shape)}`);
  return tidy(() => {
    const power = sum(dft2Power(weight, opts.size ?? 16), 1);
    return { power, hf: highFrequencyShare(power, opts.r0) };
  });
}
