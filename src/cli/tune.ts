/** `robustlens tune`: measure which kernel variants are fastest on this adapter and store the table. */
import { writeTextAtomic } from '../data/fs-node.js';
import { init } from '../node.js';
import { autotune, DEFAULT_TUNING_SHAPES, exportTuning } from '../tuning.js';
import { int, logger, flag } from './args.js';
import { UsageError, type Command } from './command.js';

export const tune: Command = {
  name: 'tune',
  summary: 'time every kernel variant this adapter can run and store the fastest per shape (autotune)',
  help: `Usage: robustlens tune --out FILE [--reps N]

Times every matmul tile this adapter can run (the portable 4x4 tile, and the subgroup tiles where the
adapter has subgroups) and every 3x3 convolution kernel, forward and input gradient (the row kernels,
8- and 4-channel subgroup forms where it has subgroups, and the generic implicit GEMM), on the shapes
the study and the benchmarks meet, checks that they agree, and writes the fastest per shape bucket
(dims rounded up to powers of two) to FILE as JSON, keyed by the adapter's identity. Use it with ROBUSTLENS_TUNING=FILE (or importTuning in an app): a table made on
another adapter is not applied. Without a table, each kernel family uses its built-in rule.

Options:
  --out FILE   where to write the table (required)
  --reps N     timed calls per variant (default 5; the median counts)`,
  options: { out: { type: 'string' }, reps: { type: 'string' } },
  async run(args) {
    const log = logger(flag(args, 'quiet'));
    const out = args.values.out;
    if (typeof out !== 'string' || out === '') throw new UsageError('--out FILE is required: where the tuning table is written');
    const reps = int(args, 'reps', 5, 1);
    await init();
    const records = await autotune(DEFAULT_TUNING_SHAPES, { reps });
    for (const r of records) log(`${r.op} ${r.bucket}: ${r.variant} (${Object.entries(r.ms).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')})`);
    await writeTextAtomic(out, `${JSON.stringify(exportTuning(), null, 1)}\n`);
    console.log(JSON.stringify({ out, records: records.map((r) => ({ op: r.op, bucket: r.bucket, variant: r.variant })) }));
    return 0;
  },
};
