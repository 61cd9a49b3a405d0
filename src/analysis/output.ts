import type { CkaMatrix } from './minibatch.js';

/** JSON text of a CKA matrix; NaN (dead layers) is written as null, with the dead flags alongside. */
export function ckaMatrixJson(m: CkaMatrix): string {
  return JSON.stringify({ ...m, values: m.values.map((r) => r.map((v) => (Number.isFinite(v) ? v : null))) }, null, 2);
}
