/** `robustlens bench`: kernel benchmarks against the adapter's ceilings, the CPU reference, TF.js, jax-js and PyTorch. */
import { flag, int, str } from './args.js';
import type { Command } from './command.js';

const PROFILE_METHODS = ['auto', 'timestamps', 'per-dispatch'] as const;

interface BenchModule {
  runBenchmarks(opts: { only?: string[]; reps?: number; profile?: boolean | (typeof PROFILE_METHODS)[number] }): Promise<unknown[]>;
  BENCHMARKS: Record<string, unknown>;
}

export const bench: Command = {
  name: 'bench',
  summary: 'benchmark kernels and steps (matmul, elementwise, conv, training step, PGD) vs CPU, TF.js, jax-js and PyTorch',
  help: `Usage: robustlens bench [NAME...] [--reps N] [--profile] [--profile-method M]

Measures the adapter's ceilings (an FMA-bound kernel, copy kernels) at the start and at the end of
the run, then each named benchmark (default: all of matmul, elementwise, train-step, conv, pgd, jax),
printing per row: adapter, shape, median ms, GFLOP/s or GB/s, the fraction of the run's ceiling (the
larger of the start and end ones, the same for every row), and the ratios to the float64 CPU
reference, to TF.js WebGPU run on the same device in the same process, and to PyTorch on the CPU with
every core (train-step, pgd: our time / PyTorch's, when an interpreter imports torch); jax runs jax-js
WebGPU on the same adapter (its own device) when @jax-js/jax is installed. Rows are also written to
out/bench-NAME.json. Compare rows of one run only: the software adapters share the CPU with
everything else. \`autoattack\` runs only when named: AutoAttack on 1,000 MNIST digits of a PGD-AT
cnn-small it trains first, in seconds (many minutes on a software adapter).

The Gram and layer-CKA benchmarks run from a checkout: npm run bench.

Options:
  --reps N             timed repetitions per case, median reported (default 7)
  --profile            train-step and pgd also profile one step: GPU time per kernel, dispatches,
                       submits, readbacks, and the time outside kernels (out/profile-NAME.json)
  --profile-method M   how kernels are timed: auto (timestamp queries where the adapter has them),
                       timestamps, per-dispatch (each dispatch replayed alone); implies --profile`,
  positionals: true,
  options: { reps: { type: 'string' }, profile: { type: 'boolean' }, 'profile-method': { type: 'string' } },
  async run(args) {
    const reps = int(args, 'reps', 7, 1);
    const method = args.values['profile-method'] === undefined ? undefined : str(args, 'profile-method', 'auto', PROFILE_METHODS);
    // dist/bench.js is built from bench/index.ts next to this CLI (see tsup.config.ts).
    const mod = (await import(new URL('./bench.js', import.meta.url).href)) as BenchModule;
    await mod.runBenchmarks({ only: args.positionals.length > 0 ? args.positionals : undefined, reps, profile: method ?? flag(args, 'profile') });
    return 0;
  },
};
