#!/usr/bin/env bash
# `npm run bench [-- NAME... --reps N --profile --profile-method M]`: the benchmarks. bench/index.ts
# runs the harnessed ones in one process (the ceilings at the start and at the end, between them
# matmul, elementwise, conv, train-step, pgd, and jax: jax-js WebGPU on the same adapter, or a
# 'skipped: why' row when it cannot start; --profile adds step profiles to train-step and pgd;
# PyTorch rows need `bash scripts/install.sh --bench`); the standalone Gram
# and layer-CKA scripts (names gram, layer-cka) run in their own processes. No names: all of them.
# `autoattack` (only when named): AutoAttack on 1,000 MNIST digits of a PGD-AT cnn-small it trains
# first, in seconds (many minutes on lavapipe).
# `cka` (only when named): the similarity computation at n = 2048 and the layer-CKA rows, for
# before/after comparisons of the HSIC code (bench/cka.ts).
# `jax-deno` (only when named) builds dist/ and runs bench/deno/jax.ts: robustlens vs jax-js on
# Deno's own WebGPU, in one Deno process (skipped, saying why, when Deno is missing).
# Each prints its adapter and writes out/bench-*.json. Run it on an otherwise idle machine: the
# software adapters share the CPU with everything else, and only rows of one run are comparable.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu-env.sh
node scripts/gen-shaders.mjs >/dev/null
harness=() # names and flags for bench/index.ts
standalone=()
denojax=0
named=0  # some name given
hnamed=0 # a name for bench/index.ts given
prev=""
for a in "$@"; do
  case "$a" in
    gram | layer-cka | cka) standalone+=("bench/$a.ts"); named=1 ;;
    jax-deno) denojax=1; named=1 ;;
    -*) harness+=("$a") ;;
    *) harness+=("$a"); if [ "$prev" != "--reps" ] && [ "$prev" != "--profile-method" ]; then named=1; hnamed=1; fi ;;
  esac
  prev="$a"
done
if [ "$named" -eq 0 ]; then standalone=(bench/gram.ts bench/layer-cka.ts); fi
if [ "$named" -eq 0 ] || [ "$hnamed" -eq 1 ]; then
  echo "=== bench/index.ts ==="
  npx vite-node bench/index.ts "${harness[@]}"
fi
for b in "${standalone[@]}"; do
  echo "=== $b ==="
  npx vite-node "$b"
done
if [ "$denojax" -eq 1 ]; then
  echo "=== bench/deno/jax.ts (Deno) ==="
  if ! npx --no-install deno --version >/dev/null 2>&1; then
    echo "jax-deno: skipped: Deno is not installed (npx --no-install deno fails; it is a devDependency: npm install)"
  else
    npm run build >/dev/null
    reps=()
    for ((i = 1; i <= $#; i++)); do if [ "${!i}" = "--reps" ]; then j=$((i + 1)); reps=(--reps "${!j}"); fi; done
    npx --no-install deno run --allow-all --unstable-sloppy-imports bench/deno/jax.ts "${reps[@]}"
  fi
fi
