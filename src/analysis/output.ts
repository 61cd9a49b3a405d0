import { heatmapSvg, type HeatmapOptions } from '../report/heatmap.js';
import type { CkaMatrix } from './minibatch.js';

/** JSON text of a CKA matrix; NaN (dead layers) is written as null, with the dead flags alongside. */
export function ckaMatrixJson(m: CkaMatrix): string {
  return JSON.stringify({ ...m, values: m.values.map((r) => r.map((v) => (Number.isFinite(v) ? v : null))) }, null, 2);
}

/** SVG heatmap of a CKA matrix with its layer names on the axes. */
export function ckaMatrixSvg(m: CkaMatrix, opts: HeatmapOptions = {}): string {
  return heatmapSvg(m, { title: m.estimator, ...opts });
}
