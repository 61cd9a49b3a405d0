import type { Backend } from '../types.js';
import { cpuAttack } from './attack.js';
import { cpuConv, cpuPool } from './conv.js';
import { cpuCore } from './core.js';
import { cpuLogits } from './logits.js';
import { cpuOptim } from './optim.js';
import { cpuHsic } from './hsic.js';
import { cpuSelect } from './select.js';
import { cpuNorm } from './norm.js';

/** The float64 reference backend: the oracle of every test and the CPU row of every benchmark. */
export function createCpuBackend(): Backend<Float64Array> {
  return {
    kind: 'cpu',
    describe: () => 'cpu · float64 reference (plain JavaScript)',
    ...cpuCore,
    ...cpuConv,
    ...cpuPool,
    ...cpuOptim,
    ...cpuLogits,
    ...cpuAttack,
    ...cpuHsic,
    ...cpuSelect,
    ...cpuNorm,
  };
}
