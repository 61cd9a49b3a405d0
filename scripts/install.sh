#!/usr/bin/env bash
# The README's install step: a WebGPU adapter (scripts/setup.sh) and the locked npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# npm 11 refuses a lock file that lacks other platforms' optional packages (@deno/darwin-*,
# @rollup/*, ...: npm/cli#4828, #8320); lock files written where the registry serves only this
# platform's packages lack them. npm 10 (Node 20's own npm) installs the same locked tree.
if ! npm ci --no-audit --no-fund; then
  echo "install: npm $(npm --version) refused the lock file; installing the same locked versions with npm 10's ci" >&2
  npx -y npm@10 ci --no-audit --no-fund
fi
