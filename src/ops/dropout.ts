import { ValueError } from '../errors.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { isTaping } from '../autograd/tape.js';
import { tensor } from './creation.js';
import { mul } from './elementwise.js';
import { reshape } from './layout.js';

/**
 * Inverted dropout: in training, each element is zeroed with probability p and the survivors are
 * scaled by 1 / (1 − p), so eval mode is the identity. The mask is drawn on the host from `rng`
 * (one uniform per element, in row-major order), so the CPU and GPU backends drop the same elements.
 */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout: p must be in [0, 1], got ${p}`);
  // The identity still returns a new handle (sharing storage), so callers may dispose it freely.
  if (!training || p === 0) return reshape(x, x.shape);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const m = new Float32Array(x.size);
  for (let i = 0; i < m.length; i++) m[i] = rng.uniform() >= p ? scale : 0;
  const mask = tensor(m, x.shape, { backend: x.backend });
  const y = mul(x, mask);
  if (!isTaping()) mask.dispose(); // else the tape's scope owns it: mul's rule needs it
  return y;
}
