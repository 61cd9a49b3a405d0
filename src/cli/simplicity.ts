/** `robustlens simplicity CKPT`: smoothness and shape-bias metrics of a checkpoint. */
import { init } from '../node.js';
import { simplicityStudy } from '../study/experiments.js';
import { studyConfig } from '../study/config.js';
import { int } from './args.js';
import type { Command } from './command.js';
import { dataFrom, dataHelp, dataOptions } from './common.js';
import { buildFromCheckpoint, chooseArch, loadModelHelp, modelOption, readCheckpointArg } from './models.js';

export const simplicity: Command = {
  name: 'simplicity',
  summary: 'filter and activation total variation, spectra, preferred inputs, shape/texture probes',
  help: `Usage: robustlens simplicity A.safetensors [options]

First-layer filters: total variation / L2 norm and high-frequency energy share (16×16 DFT);
activation-map TV on clean and Gaussian-noisy inputs; preferred inputs of 8 first-layer channels
(activation maximisation) with their TV and HF share; accuracy on blurred, edge-map, patch-shuffled
and noisy test images. Prints JSON.

Options:
  --n N              test images (default 1000)
${dataHelp}
${loadModelHelp}`,
  positionals: true,
  options: { ...dataOptions, n: { type: 'string' } },
  async run(args) {
    const probeSize = int(args, 'n', 1000, 1);
    const loadData = dataFrom(args);
    const modelName = modelOption(args);
    const ckpt = await readCheckpointArg(args.positionals[0]);
    const data = await loadData();
    const arch = chooseArch(ckpt, modelName, data.test.shape);
    await init();
    const model = buildFromCheckpoint(ckpt, arch);
    try {
      const cfg = studyConfig({ sizes: { probeSize } });
      const r = await simplicityStudy({ model }, data, cfg, int(args, 'seed', 0));
      const m = r.models.model!;
      console.log(JSON.stringify({ checkpoint: args.positionals[0], filterTV: m.filterTV, filterHF: m.filterHF, activation: m.activation, preferred: { tv: m.preferred.tv, hf: m.preferred.hf }, probes: m.probes }, null, 1));
      return 0;
    } finally {
      model.dispose();
    }
  },
};
