/** `robustlens attack`: clean and robust accuracy of a checkpoint under one attack or AutoAttack, with the gradient-masking checks. */
import { ValueError } from '../errors.js';
import { init } from '../node.js';
import { maskingText } from '../report/masking.js';
import { checkRobustnessSpec, evaluateRobustness, ROBUSTNESS_ATTACKS, type RobustnessReport, type RobustnessSpec } from '../robust/robustness.js';
import { ownedBatches } from '../data/owned-batches.js';
import { flag, int, logger, num, str } from './args.js';
import { UsageError, type Command, type ParsedArgs } from './command.js';
import { dataHelp, dataOptions, testDataFrom, userDataHelp, userDataOptions } from './common.js';
import { buildFromCheckpoint, chooseArch, classesOf, loadModelHelp, modelOption, readCheckpointArg } from './models.js';

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

/** The attacks each attack-specific flag applies to (any other use is a usage error, not silently ignored). */
const USED_BY: Record<string, readonly string[]> = {
  steps: ['pgd', 'apgd-ce', 'apgd-dlr', 'apgd-t', 'autoattack'],
  alpha: ['pgd'],
  restarts: ['pgd', 'apgd-ce', 'apgd-dlr', 'apgd-t', 'autoattack'],
  loss: ['pgd'],
  targets: ['apgd-t', 'autoattack'],
};

/** The spec the flags ask for, checked on the host: a wrong flag exits 2 before any file is read. */
export function attackSpec(args: ParsedArgs): RobustnessSpec {
  const attack = str(args, 'attack', 'pgd', ROBUSTNESS_ATTACKS);
  const eps = num(args, 'eps', 0.1, (v) => v >= 0, '>= 0');
  const isPgd = attack === 'pgd';
  const opt = (name: string, v: number | undefined) => (args.values[name] === undefined ? undefined : v);
  const steps = opt('steps', int(args, 'steps', 1, 1));
  const spec: RobustnessSpec = {
    attack,
    eps,
    norm: str(args, 'norm', 'linf', ['linf', 'l2'] as const),
    steps,
    alpha: isPgd ? num(args, 'alpha', (2.5 * eps) / (steps ?? 20), (v) => v > 0, '> 0') : undefined,
    restarts: opt('restarts', int(args, 'restarts', 1, 1)),
    loss: isPgd ? str(args, 'loss', 'ce', ['ce', 'cw'] as const) : undefined,
    targets: opt('targets', int(args, 'targets', 1, 1)),
    nQueries: opt('n-queries', int(args, 'n-queries', 1, 1)),
    seed: int(args, 'seed', 0),
    batchSize: int(args, 'batch', 250, 1),
    masking: !flag(args, 'no-masking'),
  };
  for (const [name, uses] of Object.entries(USED_BY)) {
    if (args.values[name] !== undefined && !uses.includes(attack)) throw new UsageError(`--${name} applies to --attack ${uses.join(', ')}, not ${attack}`);
  }
  try {
    checkRobustnessSpec(spec);
  } catch (e) {
    if (e instanceof ValueError) throw new UsageError(e.message.replace(/^evaluateRobustness( \([^)]*\))?: /, ''));
    throw e;
  }
  return spec;
}

/** The lines of a human-readable summary (stdout without --json). */
function summary(r: RobustnessReport, what: string): string[] {
  const rows = r.attacks.map((a) => `  ${a.attack.padEnd(9)} robust ${pct(a.robustAccuracy).padStart(6)}  (broke ${a.broken} of ${a.attacked}, ${a.seconds.toFixed(1)} s)`);
  return [
    `${what}: ${r.n} examples, clean accuracy ${pct(r.cleanAccuracy)}`,
    ...rows,
    `worst case: ${pct(r.robustAccuracy)} robust (${r.attack}, ${r.norm} ε = ${r.eps}); ${(r.seconds.attack + r.seconds.masking).toFixed(1)} s`,
    ...maskingText(r.masking, r.maskingSkipped),
  ];
}

export const attack: Command = {
  name: 'attack',
  summary: 'robust accuracy of a checkpoint under PGD, FGSM, APGD, Square or AutoAttack, with gradient-masking checks',
  help: `Usage: robustlens attack CHECKPOINT [options]

CHECKPOINT: a .safetensors written by robustlens (it records its architecture), or a PyTorch
state dict (.pt/.pth from torch.save(model.state_dict(), path)) of the --model architecture
(examples/pytorch/zoo.py).

Options:
  --attack A       pgd (default), fgsm, apgd-ce, apgd-dlr, apgd-t, square or autoattack
                   (APGD-CE, APGD-T and Square; an example is robust only if all three fail)
  --norm N         linf (default) or l2 (fgsm: linf only)
  --eps E          budget (default 0.1)
  --steps K        iterations: PGD default 20, APGD default 100
  --alpha A        PGD's step size (default 2.5·ε/K)
  --restarts R     PGD and APGD restarts; robust only if every restart fails (default 1)
  --loss L         PGD's loss: ce (default) or cw
  --targets T      APGD-T's target classes (default min(9, classes − 1))
  --n-queries Q    Square's queries (default 5000), in the attack and in the masking checks
  --n N            test images attacked (default: the whole test set)
  --batch B        images per batch (default 250)
  --no-masking     skip the gradient-masking checks (they cost about five more APGD-CE runs,
                   and AutoAttack itself when the attack is not autoattack)
  --json           print the result as JSON
${dataHelp}
${loadModelHelp}
${userDataHelp}

Prints clean accuracy, robust accuracy after each attack, the worst case (robust against every
attack that ran), the seconds spent and the gradient-masking checks, each pass or FLAG; a flag is
also printed on stderr, even with --quiet. Progress goes to stderr.`,
  positionals: true,
  options: {
    ...dataOptions, ...userDataOptions, attack: { type: 'string' }, norm: { type: 'string' }, eps: { type: 'string' }, steps: { type: 'string' },
    alpha: { type: 'string' }, restarts: { type: 'string' }, loss: { type: 'string' }, n: { type: 'string' }, targets: { type: 'string' },
    'n-queries': { type: 'string' }, batch: { type: 'string' }, 'no-masking': { type: 'boolean' }, json: { type: 'boolean' },
  },
  async run(args) {
    const log = logger(flag(args, 'quiet'));
    const spec = attackSpec(args);
    const loadData = testDataFrom(args);
    const modelName = modelOption(args);
    const n = args.values.n === undefined ? undefined : int(args, 'n', 1, 1);
    const ckpt = await readCheckpointArg(args.positionals[0]);
    const classes = classesOf(ckpt);
    checkRobustnessSpec({ ...spec, numClasses: classes });
    const data = await loadData(classes);
    const arch = chooseArch(ckpt, modelName, data.test.shape);
    await init();
    const model = buildFromCheckpoint(ckpt, arch);
    try {
      const set = data.test.take(n ?? data.test.length);
      const what = `${spec.attack} ${spec.norm} ε=${spec.eps} on ${set.length} images of ${data.name}`;
      log(what);
      const t0 = performance.now();
      const r = await evaluateRobustness(model, ownedBatches(set, spec.batchSize!), {
        ...spec,
        numClasses: classes,
        onProgress: (p) => log(`  batch ${p.batch + 1} (from image ${p.before}): ${p.attack} ${p.stage}: ${p.robust}/${p.n} robust`),
      });
      const seconds = (performance.now() - t0) / 1000;
      // A flag must not be missed: on stderr whatever --quiet says, and in the result.
      for (const line of maskingText(r.masking, r.maskingSkipped).filter((l) => l.startsWith('!!!'))) console.error(line);
      if (flag(args, 'json')) {
        const { examples: _, ...rest } = r;
        const perAttack = Object.fromEntries(r.attacks.map((a) => [a.attack, a.robustAccuracy]));
        // robustAccuracy is the worst case; worstCase repeats it under a name that says so.
        console.log(JSON.stringify({ checkpoint: args.positionals[0], data: data.name, spec, ...rest, perAttack, worstCase: r.robustAccuracy, seconds: { ...r.seconds, total: seconds } }, null, 1));
      } else {
        for (const line of summary(r, what)) console.log(line);
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};
