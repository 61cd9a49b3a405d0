#!/usr/bin/env bash
# The test command of the README (`npm test`). Stages, in order:
#   shaders (gen-shaders) -> build (tsup + check-dist) -> types (tsc)
#   -> layers (scripts/check-layers.mjs: no import up the layer table, no cycle)
#   -> size (scripts/check-size.mjs: no file over 400 lines)
#   -> unit (vitest's GPU-free tier, *.unit.test.ts, run with no Vulkan driver at all)
#   -> gpu (vitest's GPU tier, every other test file)
#   -> deno (Deno smoke test) -> chromium (headless Chromium smoke test)
#   -> determinism (the fingerprint of test/smoke/fingerprint.js from Node on lavapipe and on
#      SwiftShader, each run twice and compared bitwise, and from Deno on SwiftShader; then every
#      pair of Node, Deno and Chromium fingerprints compared within f32 tolerance by
#      scripts/compare-fingerprints.mjs; the deno and chromium stages write theirs)
#   -> examples (examples/node/embed.ts, examples/deno/hello.ts)
# Every stage runs even when an earlier one failed (except that nothing runs without shaders and a
# build), and a summary at the end lists each stage as passed, FAILED or skipped with the reason.
# A runtime stage is skipped only when its runtime is missing, and says so.
#
#   bash scripts/test.sh                       # everything
#   bash scripts/test.sh test/foo.test.ts      # only vitest, on these files (after shaders and types)
#
# Environment: ROBUSTLENS_ADAPTER (scripts/gpu-env.sh), CHROMIUM (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu-env.sh

declare -a summary=()
failed=0
stage() { printf '\n=== %s ===\n' "$1"; }
record() { # stage, outcome (passed | FAILED | skipped (reason))
  summary+=("$(printf '%-12s %s' "$1" "$2")")
  if [ "$2" = FAILED ]; then failed=1; fi
}
run_stage() { # name, command...
  local name="$1"
  shift
  stage "$name"
  if "$@"; then record "$name" passed; else record "$name" FAILED; fi
}
finish() {
  printf '\n=== summary (adapter: %s) ===\n' "${VK_ICD_FILENAMES:-Vulkan loader default}"
  printf '%s\n' "${summary[@]}"
  # One plain closing line with the vitest counts of both tiers (every other stage is listed above).
  node -e '
    const fs = require("fs");
    const t = { passed: 0, failed: 0, skipped: 0 };
    const tiers = [];
    for (const tier of ["unit", "gpu"]) {
      const f = `out/vitest-${tier}.json`;
      if (!fs.existsSync(f)) continue;
      const r = JSON.parse(fs.readFileSync(f, "utf8"));
      t.passed += r.numPassedTests; t.failed += r.numFailedTests; t.skipped += r.numPendingTests;
      tiers.push(`${tier} ${r.numPassedTests}/${r.numTotalTests}`);
    }
    if (tiers.length) console.log(`tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped (passed per tier: ${tiers.join(", ")})`);'
  exit "$failed"
}

stage shaders
node scripts/gen-shaders.mjs

if [ $# -gt 0 ]; then
  # Focused run: only the named vitest files.
  stage types
  npx tsc --noEmit -p .
  stage node
  exec npx vitest run "$@"
fi

run_stage build bash -c 'npx tsup --silent && node scripts/dts-shims.mjs && node scripts/check-dist.mjs'
if [[ "${summary[-1]}" == *FAILED ]]; then
  echo "the build failed: the runtime tests need dist/" >&2
  finish
fi
run_stage types npx tsc --noEmit -p .
run_stage layers node scripts/check-layers.mjs
run_stage size node scripts/check-size.mjs
mkdir -p out
# Fingerprints and counts of an earlier run must not stand in for a stage that fails to write them now.
rm -rf out/fingerprints out/vitest-unit.json out/vitest-gpu.json
# The unit tier runs where no Vulkan driver can be found: it must never need a WebGPU adapter.
run_stage unit env VK_ICD_FILENAMES=/nonexistent VK_DRIVER_FILES=/nonexistent \
  npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=out/vitest-unit.json
run_stage gpu npx vitest run --project gpu --reporter=default --reporter=json --outputFile.json=out/vitest-gpu.json

# Deno: the npm package `deno` (a devDependency) ships the binary.
if npx --no-install deno --version >/dev/null 2>&1; then
  run_stage deno npx --no-install deno run --check --allow-all test/deno/smoke.ts
else
  stage deno
  echo "SKIPPED: Deno is missing ('npx deno' does not run; npm ci installs the 'deno' devDependency)"
  record deno "skipped (Deno missing: run npm ci)"
fi

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  run_stage chromium node test/browser/smoke.mjs
else
  stage chromium
  echo "SKIPPED: Chromium is missing ($chromium is not executable; bash scripts/setup.sh installs it, or set CHROMIUM)"
  record chromium "skipped (Chromium missing at $chromium)"
fi

# Determinism: Node writes its fingerprint on each software adapter (twice, the second run must
# match bitwise); the comparison expects a fingerprint from every runtime whose stage ran.
stage determinism
declare -a expect=() skips=()
det_failed=0
for adapter in lavapipe swiftshader; do
  if ! why="$( (export ROBUSTLENS_ADAPTER="$adapter"; source scripts/gpu-env.sh) 2>&1 )"; then
    echo "SKIPPED node-$adapter: $why"
    skips+=(--skip "node-$adapter=${why#gpu-env.sh: }")
    continue
  fi
  expect+=("node-$adapter")
  (
    export ROBUSTLENS_ADAPTER="$adapter"
    source scripts/gpu-env.sh
    node scripts/fingerprint-node.mjs &&
      node scripts/fingerprint-node.mjs --out "out/fingerprints/repeat/node-$adapter.json" &&
      node scripts/compare-fingerprints.mjs --bitwise "out/fingerprints/node-$adapter.json" "out/fingerprints/repeat/node-$adapter.json"
  ) || det_failed=1
done
if npx --no-install deno --version >/dev/null 2>&1; then
  expect+=(deno)
  # Deno on the second adapter too (its stage ran on the environment's, lavapipe by default): only
  # when the deno stage wrote its own fingerprint, so that a failed stage cannot be papered over.
  if compgen -G 'out/fingerprints/deno-*.json' >/dev/null && [ ! -f out/fingerprints/deno-swiftshader.json ] &&
    (export ROBUSTLENS_ADAPTER=swiftshader; source scripts/gpu-env.sh) 2>/dev/null; then
    expect+=(deno-swiftshader)
    (
      export ROBUSTLENS_ADAPTER=swiftshader
      source scripts/gpu-env.sh
      npx --no-install deno run --check --allow-all test/deno/smoke.ts --fingerprint-only
    ) || det_failed=1
  fi
else
  skips+=(--skip "deno=Deno missing")
fi
if [ -x "$chromium" ]; then expect+=(chromium); else skips+=(--skip "chromium=Chromium missing at $chromium"); fi
if [ "${#expect[@]}" -lt 2 ]; then
  echo "SKIPPED: fewer than two runtimes or adapters can write a fingerprint (${expect[*]:-none})"
  record determinism "skipped (fewer than two runtimes/adapters available: ${expect[*]:-none})"
else
  expect_list="$(IFS=,; echo "${expect[*]}")"
  node scripts/compare-fingerprints.mjs --expect "$expect_list" "${skips[@]}" || det_failed=1
  skipped_names=""
  for ((i = 1; i < ${#skips[@]}; i += 2)); do skipped_names+="${skipped_names:+, }${skips[i]%%=*}"; done
  if [ "$det_failed" = 1 ]; then record determinism FAILED
  elif [ -n "$skipped_names" ]; then record determinism "passed (${expect_list//,/, }; skipped: $skipped_names, see above)"
  else record determinism passed; fi
fi

stage examples
ex_failed=0
npx vite-node examples/node/embed.ts || ex_failed=1
if npx --no-install deno --version >/dev/null 2>&1; then
  npx --no-install deno run --allow-all examples/deno/hello.ts || ex_failed=1
else
  echo "SKIPPED examples/deno/hello.ts: Deno is missing"
fi
if [ -x "$chromium" ]; then
  node examples/browser/run.mjs || ex_failed=1
else
  echo "SKIPPED examples/browser: Chromium is missing ($chromium)"
fi
if [ "$ex_failed" = 0 ]; then record examples passed; else record examples FAILED; fi

finish
