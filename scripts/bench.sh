#!/usr/bin/env bash
# `npm run bench`: every benchmark, one after another in separate processes (each prints its adapter
# and writes out/bench-*.json). Run it on an otherwise idle machine: the software adapters share the
# CPU with everything else, and only rows of one run are comparable.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu-env.sh
node scripts/gen-shaders.mjs >/dev/null
for b in bench/index.ts bench/conv.ts bench/train-step.ts bench/attack-pgd.ts bench/gram.ts bench/layer-cka.ts; do
  echo "=== $b ==="
  npx vite-node "$b" "$@"
done
