// Types of scripts/wgsl-layout.mjs, for the tests that import it.
import type { UniformLayout } from '../src/gpu/shader-types.js';

export function uniformLayout(variable: unknown, where: string): UniformLayout;

export function uniformLayouts(code: string, where: string): Record<string, UniformLayout>;
