// The layer table of design.md as data, bottom to top. An import may point only to a file of the
// same or a lower layer (scripts/check-layers.mjs checks every import of src/ against it, and a
// file that no layer claims is an error too). Globs: `dir/**` is everything under dir/, any other
// entry names one file.
export const LAYERS = [
  { name: 'root', holds: 'errors and shared plain types; import nothing of ours', globs: ['src/errors.ts', 'src/types.ts'] },
  { name: 'gpu', holds: 'WebGPU: devices, buffers, pipelines, the generated shader module', globs: ['src/gpu/**'] },
  { name: 'kernels', holds: 'one launcher per kernel family', globs: ['src/kernels/**'] },
  { name: 'backend', holds: 'the Backend contract, the webgpu one and the float64 cpu oracle', globs: ['src/backend/**'] },
  {
    name: 'engine',
    holds: 'engine state, the Tensor handle, the tape, seeded randomness, init',
    globs: ['src/engine.ts', 'src/tensor.ts', 'src/autograd/**', 'src/random.ts', 'src/init.ts', 'src/tuning.ts'],
  },
  // interop wraps outside GPUBuffers as tensors with the ops' own wrap and shape checks.
  { name: 'ops', holds: 'op families (forward and VJP); GPUBuffer interop', globs: ['src/ops/**', 'src/interop.ts'] },
  { name: 'data', holds: 'parsers, datasets, batching, file I/O', globs: ['src/data/**'] },
  { name: 'nn-optim', holds: 'modules, losses, init; optimizers, schedules', globs: ['src/nn/**', 'src/optim/**'] },
  { name: 'train-robust', holds: 'the training loop and checkpoints; attacks, evaluation, recipes', globs: ['src/train/**', 'src/robust/**'] },
  { name: 'analysis', holds: 'features, HSIC/CKA, logit statistics, TV and spectra', globs: ['src/analysis/**'] },
  { name: 'report', holds: 'HTML and SVG from plain numbers', globs: ['src/report/**'] },
  { name: 'study', holds: 'the study: stages, statistics, verdicts', globs: ['src/study/**'] },
  { name: 'entry', holds: 'the command line and the package entry points', globs: ['src/cli/**', 'src/cli.ts', 'src/index.ts', 'src/node.ts'] },
];

/**
 * Upward arrows that other branches are removing (delete each entry when its branch merges): the
 * check passes over them but fails when one no longer occurs, so the list only shrinks.
 */
export const PENDING_ARROWS = [];

/** The index in LAYERS of the layer that claims `file` (a path relative to the repository root, with '/'), or -1. */
export function layerOf(file) {
  return LAYERS.findIndex((l) => l.globs.some((g) => (g.endsWith('/**') ? file.startsWith(g.slice(0, -2)) : file === g)));
}
