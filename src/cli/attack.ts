/** `robustlens attack`: clean and robust accuracy of a checkpoint under FGSM or PGD. */
import { init } from '../node.js';
import { robustEvaluate } from '../robust/evaluate.js';
import { ownedBatches } from '../data/owned-batches.js';
import { flag, int, logger, num, str } from './args.js';
import type { Command } from './command.js';
import { dataHelp, dataOptions, testDataFrom, userDataHelp, userDataOptions } from './common.js';
import { buildFromCheckpoint, chooseArch, classesOf, loadModelHelp, modelOption, readCheckpointArg } from './models.js';

export const attack: Command = {
  name: 'attack',
  summary: 'attack a checkpoint (FGSM / PGD, L∞ or L2, CE or CW) and report robust accuracy',
  help: `Usage: robustlens attack CHECKPOINT [options]

CHECKPOINT: a .safetensors written by robustlens (it records its architecture), or a PyTorch
state dict (.pt/.pth from torch.save(model.state_dict(), path)) of the --model architecture
(examples/pytorch/zoo.py).

Options:
  --attack A       pgd (default) or fgsm
  --norm N         linf (default) or l2
  --eps E          budget (default 0.1)
  --steps K        PGD steps (default 20)
  --alpha A        step size (default 2.5·ε/K)
  --restarts R     random restarts; robust only if every restart fails (default 1)
  --loss L         ce (default) or cw
  --n N            test images attacked (default: the whole test set)
${dataHelp}
${loadModelHelp}
${userDataHelp}

Prints JSON: clean and robust accuracy and the number of examples.`,
  positionals: true,
  options: {
    ...dataOptions, ...userDataOptions, attack: { type: 'string' }, norm: { type: 'string' }, eps: { type: 'string' }, steps: { type: 'string' },
    alpha: { type: 'string' }, restarts: { type: 'string' }, loss: { type: 'string' }, n: { type: 'string' },
  },
  async run(args) {
    const log = logger(flag(args, 'quiet'));
    const type = str(args, 'attack', 'pgd', ['pgd', 'fgsm'] as const);
    const norm = str(args, 'norm', 'linf', ['linf', 'l2'] as const);
    const eps = num(args, 'eps', 0.1, (v) => v >= 0, '>= 0');
    const steps = int(args, 'steps', 20, 1);
    const alpha = num(args, 'alpha', (2.5 * eps) / steps, (v) => v > 0, '> 0');
    const restarts = int(args, 'restarts', 1, 1);
    const loss = str(args, 'loss', 'ce', ['ce', 'cw'] as const);
    const seed = int(args, 'seed', 0);
    const loadData = testDataFrom(args);
    const modelName = modelOption(args);
    const n = args.values.n === undefined ? undefined : int(args, 'n', 1, 1);
    const ckpt = await readCheckpointArg(args.positionals[0]);
    const data = await loadData(classesOf(ckpt));
    const arch = chooseArch(ckpt, modelName, data.test.shape);
    await init();
    const model = buildFromCheckpoint(ckpt, arch);
    try {
      const set = data.test.take(n ?? data.test.length);
      log(`${type} ${norm} ε=${eps} on ${set.length} images of ${data.name}`);
      const spec = type === 'fgsm' ? { type, eps, seed } : { type, eps, steps, alpha, norm, restarts, loss, seed };
      const r = await robustEvaluate(model, ownedBatches(set, 250), spec);
      console.log(JSON.stringify({ checkpoint: args.positionals[0], attack: spec, n: r.n, cleanAccuracy: r.cleanAccuracy, robustAccuracy: r.robustAccuracy }, null, 1));
      return 0;
    } finally {
      model.dispose();
    }
  },
};
