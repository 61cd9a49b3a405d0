// Runs before every file of the unit tier (*.unit.test.ts): those tests never start WebGPU (the
// tier runs with no adapter at all) and, like every test, leave no tensor behind. Tensors they make
// live on the float64 CPU backend, the engine's default before init().
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { getBackend, memory } from '../../src/engine.js';

let before = memory().tensors;
beforeEach(() => {
  before = memory().tensors;
});

afterEach(() => {
  expect(memory().tensors, 'the test leaked tensors').toBe(before);
});

afterAll(() => {
  expect(getBackend().kind, 'a unit-tier test initialised WebGPU: name its file *.test.ts (the gpu tier) instead').toBe('cpu');
});
