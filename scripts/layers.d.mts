// Types of scripts/layers.mjs, for the tests that import it.
export interface Layer {
  name: string;
  holds: string;
  globs: string[];
}
export interface PendingArrow {
  from: string;
  to: string;
  branch: string;
}
export const LAYERS: Layer[];
export const PENDING_ARROWS: PendingArrow[];
export function layerOf(file: string): number;
