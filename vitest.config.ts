import { configDefaults, defineConfig } from 'vitest/config';

// Two tiers. `unit`: GPU-free tests (parsers, CLI arguments, geometry, pure statistics, the layer
// and size checks), files named *.unit.test.ts; they run with no WebGPU adapter at all
// (`npm run test:unit`). `gpu`: every other test file, one Dawn device per file and a leak check
// after every test. Files run one after another because the software adapter already uses both
// cores and parallel files only fight over them; the unit tier runs first.
const exclude = [...configDefaults.exclude, 'test/deno/**', 'test/browser/**']; // run by scripts/test.sh

export default defineConfig({
  test: {
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.unit.test.ts'],
          exclude,
          setupFiles: ['test/helpers/setup-unit.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['test/**/*.test.ts'],
          exclude: [...exclude, 'test/**/*.unit.test.ts'],
          setupFiles: ['test/helpers/setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
