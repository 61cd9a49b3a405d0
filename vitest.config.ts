import { configDefaults, defineConfig } from 'vitest/config';

// One Dawn device per worker; files run one after another because the software adapter already
// uses both cores, and parallel files only fight over them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Deno runs test/deno itself (scripts/test.sh); the browser smoke test runs in its own step.
    exclude: [...configDefaults.exclude, 'test/deno/**', 'test/browser/**'],
    setupFiles: ['test/helpers/setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
