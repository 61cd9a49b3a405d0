import { defineConfig } from 'vitest/config';

// One Dawn device per worker; files run one after another because the software adapter already
// uses both cores, and parallel files only fight over them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
