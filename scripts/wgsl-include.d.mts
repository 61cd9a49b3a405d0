// Types of scripts/wgsl-include.mjs, for the tests that import it.
import type { SourceSpan } from '../src/gpu/shader-types.js';

export function expandIncludes(
  modulePath: string,
  opts: { includeDir: string; root: string },
): { code: string; lines: SourceSpan[] };

export function whereIs(lines: readonly SourceSpan[], n: number): string;
