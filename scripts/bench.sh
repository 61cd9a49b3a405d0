#!/usr/bin/env bash
# `npm run bench [-- NAME... --reps N]`: the benchmarks. bench/index.ts runs the harnessed ones in
# one process (ceilings first, then matmul, elementwise, conv, train-step, pgd, and jax: jax-js WebGPU
# on the same adapter, or a 'skipped: why' row when it cannot start); the standalone Gram
# and layer-CKA scripts (names gram, layer-cka) run in their own processes. No names: all of them.
# Each prints its adapter and writes out/bench-*.json. Run it on an otherwise idle machine: the
# software adapters share the CPU with everything else, and only rows of one run are comparable.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu-env.sh
node scripts/gen-shaders.mjs >/dev/null
harness=() # names and flags for bench/index.ts
standalone=()
named=0  # some name given
hnamed=0 # a name for bench/index.ts given
prev=""
for a in "$@"; do
  case "$a" in
    gram | layer-cka) standalone+=("bench/$a.ts"); named=1 ;;
    -*) harness+=("$a") ;;
    *) harness+=("$a"); if [ "$prev" != "--reps" ]; then named=1; hnamed=1; fi ;;
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
