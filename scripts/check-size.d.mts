// Types of scripts/check-size.mjs, for the tests that import it.
export const LIMIT: number;
export const DIRS: string[];
export const PENDING: string[];
export function lineCount(text: string): number;
export function oversized(opts?: { root?: string; dirs?: string[]; limit?: number }): { file: string; lines: number }[];
export function sizeProblems(opts?: { root?: string; dirs?: string[]; limit?: number; pending?: string[] }): {
  problems: string[];
  pending: { file: string; lines: number }[];
};
