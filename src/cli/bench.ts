/** `robustlens bench`: kernel benchmarks against the adapter's ceilings, the CPU reference, TF.js and jax-js. */
import { int } from './args.js';
import type { Command } from './command.js';

interface BenchModule {
  runBenchmarks(opts: { only?: string[]; reps?: number }): Promise<unknown[]>;
  BENCHMARKS: Record<string, unknown>;
}

export const bench: Command = {
  name: 'bench',
  summary: 'benchmark kernels and steps (matmul, elementwise, conv, training step, PGD) vs CPU, TF.js and jax-js',
  help: `Usage: robustlens bench [NAME...] [--reps N]

Measures the adapter's ceilings (an FMA-bound kernel, copy kernels), then each named benchmark
(default: all of matmul, elementwise, train-step, conv, pgd, jax), printing per row: adapter, shape, median ms, GFLOP/s or GB/s,
the fraction of the measured ceiling, and the ratios to the float64 CPU reference and to TF.js WebGPU
run on the same device in the same process; jax runs jax-js WebGPU on the same adapter (its own
device) when @jax-js/jax is installed. Rows are also written to out/bench-NAME.json.
Compare rows of one run only: the software adapters share the CPU with everything else.

The Gram and layer-CKA benchmarks run from a checkout: npm run bench.

Options:
  --reps N   timed repetitions per case, median reported (default 7)`,
  positionals: true,
  options: { reps: { type: 'string' } },
  async run(args) {
    // dist/bench.js is built from bench/index.ts next to this CLI (see tsup.config.ts).
    const mod = (await import(new URL('./bench.js', import.meta.url).href)) as BenchModule;
    await mod.runBenchmarks({ only: args.positionals.length > 0 ? args.positionals : undefined, reps: int(args, 'reps', 7, 1) });
    return 0;
  },
};
