// Runs before every test file: acquire the GPU once, and check after every test that it left no
// live tensor or GPU buffer behind.
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { init, memory, setNumericsCheck, shutdown } from '../../src/node.js';

await init({ fastPolling: true }); // the engine's GPU waits poll gently (src/gpu/fast-polling.ts)
setNumericsCheck(true);

let before = memory();
beforeEach(() => {
  before = memory();
});

afterEach(() => {
  const after = memory();
  expect({ tensors: after.tensors, gpuBuffers: after.gpuBuffers }, 'the test leaked tensors or GPU buffers').toEqual({
    tensors: before.tensors,
    gpuBuffers: before.gpuBuffers,
  });
});

afterAll(() => {
  shutdown();
});
