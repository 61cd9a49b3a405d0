/**
 * `robustlens distill TEACHER`: a student trained on clean images against the teacher's (manipulated)
 * logits (methods.md §4, paper (d)) with the one training loop's distillation step, then evaluated
 * clean and under PGD; the student is saved as a checkpoint that records its architecture.
 */
import { join } from 'node:path';
import { teacherLogits, type Manipulation } from '../analysis/distill.js';
import { writeTextAtomic } from '../data/fs-node.js';
import { ownedBatches } from '../data/owned-batches.js';
import { archMetadata, archSpec, buildArch, describeArch } from '../nn/arch.js';
import { init } from '../node.js';
import { SGD } from '../optim/sgd.js';
import { robustEvaluate } from '../robust/evaluate.js';
import { saveCheckpoint } from '../train/checkpoint-node.js';
import { distill as distillPass } from '../train/distill.js';
import { flag, int, logger, num, str } from './args.js';
import type { Command } from './command.js';
import { dataFrom, dataHelp, dataOptions } from './common.js';
import { buildFromCheckpoint, chooseArch, modelOption, readCheckpointArg } from './models.js';
import { modelNames } from '../nn/models.js';

/** The command line's names of the teacher-logit manipulations (methods.md §4 variants 1, 3, 4, 5). */
export const MANIPULATE: Record<string, Manipulation> = { none: 'none', shuffle: 'shuffleNonMax', remove: 'flattenNonMax', swap: 'swapConfidence' };
const MANIPULATE_NAMES = Object.keys(MANIPULATE);
const TAUGHT_WITH: Record<string, string> = {
  none: 'its logits', shuffle: 'its non-max logits shuffled', remove: 'its non-max logits replaced by their mean', swap: 'its logit values swapped between examples',
};

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

export const distill: Command = {
  name: 'distill',
  summary: 'train a student on clean images against a teacher\'s (manipulated) logits; report its clean and PGD accuracy',
  help: `Usage: robustlens distill TEACHER [options] --out DIR

Trains a student on clean training images only, with the loss T²·KL(softmax(z_teacher/T) ‖
softmax(z_student/T)) (+ α·CE), against the teacher's logits as they are or manipulated (methods.md §4),
then reports the student's clean and PGD robust accuracy on the test set and saves it as
DIR/student.safetensors (recording its architecture), with DIR/distill.json.

TEACHER: a checkpoint (its architecture comes from its metadata, or --teacher-model).

Options:
  --manipulate M       none (default): the teacher's logits; shuffle: per example, the non-max logits
                       permuted among the non-max classes (variant 3); remove: the non-max logits
                       replaced by their mean (variant 4); swap: each example takes another example's
                       sorted logit values, in its own class order (variant 5)
  --temperature T      softmax temperature (default 4)
  --alpha A            weight of the hard-label cross-entropy (default 0: pure distillation)
  --epochs E           (default 3)
  --batch N            (default 64)
  --lr LR              SGD learning rate, momentum 0.9 (default 0.01)
  --eps E              L∞ budget of the PGD evaluation (default 0.1)
  --steps K            PGD steps (default 20), step size 2.5·ε/K
  --model NAME         the student's architecture (${modelNames.join(', ')}; default: the teacher's)
  --teacher-model NAME the teacher's architecture when its checkpoint records none (a PyTorch export)
  --json               print the result as JSON
  --out DIR            student.safetensors and distill.json (default out/distill)
${dataHelp}`,
  positionals: true,
  options: {
    ...dataOptions, manipulate: { type: 'string' }, temperature: { type: 'string' }, alpha: { type: 'string' }, epochs: { type: 'string' },
    batch: { type: 'string' }, lr: { type: 'string' }, eps: { type: 'string' }, steps: { type: 'string' }, 'teacher-model': { type: 'string' },
    json: { type: 'boolean' }, out: { type: 'string' },
  },
  async run(args) {
    const log = logger(flag(args, 'quiet'));
    const kind = str(args, 'manipulate', 'none', MANIPULATE_NAMES);
    const temperature = num(args, 'temperature', 4, (v) => v > 0, '> 0');
    const alpha = num(args, 'alpha', 0, (v) => v >= 0, '>= 0');
    const epochs = int(args, 'epochs', 3, 1);
    const batch = int(args, 'batch', 64, 1);
    const lr = num(args, 'lr', 0.01, (v) => v > 0, '> 0');
    const eps = num(args, 'eps', 0.1, (v) => v >= 0, '>= 0');
    const steps = int(args, 'steps', 20, 1);
    const seed = int(args, 'seed', 0);
    const out = str(args, 'out', 'out/distill');
    const loadData = dataFrom(args);
    const teacherModel = modelOption(args, 'teacher-model');
    const studentModel = modelOption(args);
    const ct = await readCheckpointArg(args.positionals[0], 'TEACHER');
    const data = await loadData();
    const teacherArch = chooseArch(ct, teacherModel, data.train.shape, { flag: '--teacher-model' });
    const { inChannels, inputSize, classes } = teacherArch;
    const studentArch = studentModel === undefined ? teacherArch : archSpec(studentModel, { inChannels, inputSize, classes });
    await init();
    const teacher = buildFromCheckpoint(ct, teacherArch);
    const student = buildArch(studentArch, { seed });
    const opt = new SGD(student.parameters(), { lr, momentum: 0.9 });
    try {
      log(`distilling ${describeArch(studentArch)} from ${ct.path} (${kind} logits, T=${temperature}, α=${alpha}) on ${data.train.length} images of ${data.name}`);
      const losses: { epoch: number; loss: number }[] = [];
      for (let e = 1; e <= epochs; e++) {
        const r = await distillPass(student, teacherLogits(teacher, MANIPULATE[kind], { seed: seed + e }), opt, ownedBatches(data.train, batch, seed * 31 + e), { temperature, alpha });
        const last = r.losses.at(-1)?.loss ?? NaN;
        losses.push({ epoch: e, loss: last });
        log(`epoch ${e}: distillation loss ${last.toFixed(4)} (last logged step)`);
      }
      const attack = { type: 'pgd' as const, eps, steps, alpha: (2.5 * eps) / steps, seed: seed + 101 };
      const r = await robustEvaluate(student, ownedBatches(data.test, 250), attack);
      const checkpoint = join(out, 'student.safetensors');
      const settings = { manipulate: kind, temperature, alpha, epochs, batch, lr, seed };
      await saveCheckpoint(checkpoint, { model: student, metadata: { arch: archMetadata(studentArch), teacher: ct.path, distill: settings } });
      const result = {
        teacher: ct.path, teacherArch: describeArch(teacherArch), student: describeArch(studentArch), data: data.name, ...settings, losses,
        evaluation: { n: r.n, attack: { type: 'pgd', norm: 'linf', eps, steps, alpha: attack.alpha }, cleanAccuracy: r.cleanAccuracy, robustAccuracy: r.robustAccuracy },
        checkpoint,
      };
      await writeTextAtomic(join(out, 'distill.json'), JSON.stringify(result, null, 1));
      console.log(flag(args, 'json') ? JSON.stringify(result, null, 1)
        : `student ${describeArch(studentArch)}, taught by ${ct.path} with ${TAUGHT_WITH[kind]}:\n` +
          `  clean accuracy ${pct(r.cleanAccuracy)}, PGD-${steps} L∞ ε=${eps} robust accuracy ${pct(r.robustAccuracy)} on ${r.n} test images\n` +
          `  saved ${checkpoint}`);
      return 0;
    } finally {
      opt.dispose();
      student.dispose();
      teacher.dispose();
    }
  },
};
