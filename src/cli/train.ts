/** `robustlens train`: one model with one recipe; checkpoints and a JSON log. */
import { join } from 'node:path';
import { ownedBatches } from '../data/owned-batches.js';
import { writeTextAtomic } from '../data/fs-node.js';
import { init } from '../node.js';
import { SGD } from '../optim/sgd.js';
import { trainRobust, type Recipe } from '../robust/recipes.js';
import { archMetadata } from '../nn/arch.js';
import { saveCheckpoint } from '../train/checkpoint-node.js';
import { flag, int, logger, num, str } from './args.js';
import type { Command } from './command.js';
import { dataFrom, dataHelp, dataOptions } from './common.js';
import { freshArch, freshModel, trainModelHelp } from './models.js';

export const train: Command = {
  name: 'train',
  summary: 'train a model (standard, PGD-AT, TRADES, fast FGSM; optionally on random labels)',
  help: `Usage: robustlens train [options]

Options:
  --recipe R         standard (default), pgd-at, trades, fast-fgsm
  --eps E            L∞ budget (default 0.1)
  --steps K          inner PGD steps (default 10); step size 2.5·ε/K
  --beta B           TRADES β (default 6)
  --te               temporal ensembling (PGD-AT and TRADES; ramp over 45%–75% of the epochs)
  --random-labels    resample every training label uniformly once (the memorisation experiment)
  --epochs N         (default 5)
  --batch N          (default 64)
  --lr LR            SGD learning rate, momentum 0.9 (default 0.05); ×0.1 after 75% of the epochs
  --weight-decay W   (default 5e-4)
  --out DIR          checkpoints (best/last .safetensors, recording the architecture) and log.json
                     (default out/train)
${trainModelHelp}
${dataHelp}

Prints a JSON summary: per-epoch log, best epoch and robust-overfitting gap.`,
  options: {
    ...dataOptions, recipe: { type: 'string' }, eps: { type: 'string' }, steps: { type: 'string' }, beta: { type: 'string' },
    te: { type: 'boolean' }, 'random-labels': { type: 'boolean' }, epochs: { type: 'string' }, batch: { type: 'string' },
    lr: { type: 'string' }, 'weight-decay': { type: 'string' }, out: { type: 'string' },
  },
  async run(args) {
    const log = logger(flag(args, 'quiet'));
    const kind = str(args, 'recipe', 'standard', ['standard', 'pgd-at', 'trades', 'fast-fgsm'] as const);
    const eps = num(args, 'eps', 0.1, (v) => v >= 0 && v <= 1, 'in [0, 1]');
    const steps = int(args, 'steps', 10, 1);
    const beta = num(args, 'beta', 6, (v) => v >= 0, '>= 0');
    const epochs = int(args, 'epochs', 5, 1);
    const batch = int(args, 'batch', 64, 1);
    const lr = num(args, 'lr', 0.05, (v) => v > 0, '> 0');
    const seed = int(args, 'seed', 0);
    const out = str(args, 'out', 'out/train');
    const data = await dataFrom(args)();
    const arch = freshArch(args, data.train.shape);
    await init();
    const model = freshModel(args, arch);
    const attack = { eps, steps, alpha: (2.5 * eps) / steps };
    const te = flag(args, 'te') ? { numExamples: data.train.length } : undefined;
    const recipe: Recipe = kind === 'standard' ? { kind } : kind === 'fast-fgsm' ? { kind, eps } : kind === 'pgd-at' ? { kind, attack, te } : { kind, beta, attack, te };
    const opt = new SGD(model.namedParameters(), { lr, momentum: 0.9, weightDecay: num(args, 'weight-decay', 5e-4, (v) => v >= 0, '>= 0') });
    log(`training ${arch.model} with ${kind} on ${data.name}: ${data.train.length} images, ${epochs} epochs`);
    try {
      const res = await trainRobust(model, opt, {
        train: (e) => ownedBatches(data.train, batch, seed * 1000 + e),
        test: () => ownedBatches(data.test, 256),
      }, recipe, {
        epochs, seed,
        lr: (e) => (e > Math.ceil(0.75 * epochs) ? lr * 0.1 : lr),
        evalAttack: kind === 'standard' ? { eps, steps: 10, alpha: eps / 4, seed: seed + 17 } : undefined,
        labelNoise: flag(args, 'random-labels') ? { rate: 1, seed: seed + 99, numClasses: 10 } : undefined,
        onEpoch: (l) => log(`epoch ${l.epoch}: loss ${l.trainLoss.toFixed(4)}, test clean ${((l.testCleanAcc ?? NaN) * 100).toFixed(1)}%, test robust ${((l.testRobustAcc ?? NaN) * 100).toFixed(1)}%, ${l.seconds.toFixed(1)} s`),
        onCheckpoint: (which, epoch, state) => saveCheckpoint(join(out, `${which}.safetensors`), { model: state, metadata: { epoch, recipe, arch: archMetadata(arch), seed } }),
      });
      const summary = { data: data.name, recipe, epochs, log: res.log, bestEpoch: res.best?.epoch ?? null, robustOverfittingGap: res.robustOverfittingGap, generalizationGap: res.generalizationGap, checkpoints: { best: join(out, 'best.safetensors'), last: join(out, 'last.safetensors') } };
      res.best?.state.forEach(([, t]) => t.dispose());
      res.last?.state.forEach(([, t]) => t.dispose());
      await writeTextAtomic(join(out, 'log.json'), JSON.stringify(summary, null, 1));
      console.log(JSON.stringify(summary, null, 1));
      return 0;
    } finally {
      opt.dispose();
      model.dispose();
    }
  },
};
