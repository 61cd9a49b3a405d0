// Types of scripts/check-layers.mjs, for the tests that import it.
import type { Layer, PendingArrow } from './layers.mjs';

export interface Import {
  from: string;
  to: string;
  line: number;
  specifier: string;
}
export interface Arrow extends Import {
  fromLayer: string;
  toLayer: string;
}
export interface LayerCheck {
  files: string[];
  imports: number;
  arrows: Arrow[];
  cycles: { chain: Import[]; files: string[] }[];
  unclaimed: string[];
  unresolved: { from: string; line: number; specifier: string }[];
  outside: Import[];
}
export function importsOf(text: string): { specifier: string; line: number }[];
export function checkLayers(opts?: { root?: string; layers?: Layer[]; layerOf?: (file: string) => number }): LayerCheck;
export function describeProblems(r: LayerCheck, pending?: PendingArrow[]): string[];
