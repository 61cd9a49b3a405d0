#!/usr/bin/env bash
# The test command of the README: make sure a WebGPU adapter exists, generate the shader module,
# type-check, then run the suites (Node/vitest; Deno and Chromium smoke runs where available).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu-env.sh
node scripts/gen-shaders.mjs
npx tsc --noEmit -p .
npx vitest run "$@"
