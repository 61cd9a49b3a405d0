/**
 * Kernel autotuning for the active WebGPU device (src/kernels/tuning.ts holds the table and its
 * rules). `autotune()` times every variant the device can run on the given shapes and keeps the
 * fastest per shape bucket; `exportTuning()` gives the table as JSON to store, and `importTuning()`
 * applies a stored one when it was made on the same adapter (robustlens/node loads
 * $ROBUSTLENS_TUNING at init). Without a table every launcher uses its built-in rule.
 *
 *   await init();
 *   await autotune({ matmul: [[256, 512, 128]], conv: [[64, 32, 14, 14, 64]] });
 *   fs.writeFileSync('tuning.json', JSON.stringify(exportTuning()));
 */
import { engine } from './engine.js';
import { ValueError } from './errors.js';
import { autotuneConv, autotuneMatmul, type AutotuneOptions } from './kernels/autotune.js';
import { exportTuning as exportTable, importTuning as importTable, type TuningFile, type TuningRecord } from './kernels/tuning.js';

export type { TuningFile, TuningRecord } from './kernels/tuning.js';

/**
 * Shapes tuned when none are given: matmul [m, k, n] at the Gram and layer sizes the study meets;
 * 3x3 convolutions [N, C, H, W, O] (forward and input gradient) of cnn-small and the plain CNNs.
 */
export const DEFAULT_TUNING_SHAPES = {
  matmul: [[64, 784, 256], [256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [2048, 512, 2048]] as [number, number, number][],
  conv: [[64, 1, 28, 28, 32], [64, 32, 14, 14, 64], [256, 32, 14, 14, 64], [64, 3, 32, 32, 32], [64, 64, 8, 8, 128]] as [number, number, number, number, number][],
};

function runtime(op: string) {
  const rt = engine.runtime;
  if (!rt || engine.backend.kind !== 'webgpu') throw new ValueError(`${op}: the WebGPU backend is not active; call init() first (the CPU backend has nothing to tune)`);
  return rt;
}

export async function autotune(
  shapes: { matmul?: [number, number, number][]; conv?: [number, number, number, number, number][] } = DEFAULT_TUNING_SHAPES,
  opts: AutotuneOptions = {},
): Promise<TuningRecord[]> {
  const rt = runtime('autotune');
  return [...(await autotuneMatmul(rt, shapes.matmul ?? [], opts)), ...(await autotuneConv(rt, shapes.conv ?? [], opts))];
}

export function exportTuning(): TuningFile | null {
  return exportTable();
}

export function importTuning(json: unknown): { applied: boolean; reason?: string } {
  return importTable(json, runtime('importTuning').adapter);
}
