import { tidy } from '../engine.js';
import { tensor } from '../ops/creation.js';
import { add, clamp, mul } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import type { ResolvedPgd } from './pgd-options.js';

/** The start of one restart: host-drawn noise (so CPU and GPU see the same numbers) added on the device. */
export function randomStart(x0: Tensor, r: ResolvedPgd): Tensor {
  const B = x0.shape[0]!;
  const d = x0.size / B;
  const n = x0.size;
  const opts = { backend: x0.backend };
  const clip01 = (noise: Float64Array): Tensor => tidy(() => clamp(add(x0, tensor(noise, x0.shape, opts)), 0, 1));
  const renorm = (v: Float64Array, maxnorm: number): Float64Array => {
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += v[b * d + j]! ** 2;
      const norm = Math.sqrt(s);
      if (norm > maxnorm) for (let j = 0; j < d; j++) v[b * d + j]! *= maxnorm / norm;
    }
    return v;
  };
  switch (r.start) {
    case 'none':
      return tidy(() => mul(x0, 1));
    case 'uniform':
      return clip01(r.rng.fillUniform(n, -r.eps, r.eps));
    case 'normal':
      return tidy(() => add(x0, tensor(r.rng.fillNormal(n, 0, 0.001), x0.shape, opts)));
    case 'madry':
      return clip01(renorm(r.rng.fillUniform(n, -0.5, 0.5), r.eps));
    case 'lp':
      return clip01(renorm(r.rng.fillUniform(n, -1, 1), r.eps));
    case 'torchattacks': {
      const z = r.rng.fillNormal(n);
      for (let b = 0; b < B; b++) {
        const rad = r.eps * r.rng.uniform();
        let s = 0;
        for (let j = 0; j < d; j++) s += z[b * d + j]! ** 2;
        const k = rad / Math.sqrt(s);
        for (let j = 0; j < d; j++) z[b * d + j]! *= k;
      }
      return clip01(z);
    }
  }
}
