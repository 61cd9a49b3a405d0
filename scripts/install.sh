#!/usr/bin/env bash
# The README's install step: a WebGPU adapter (scripts/setup.sh) and the locked npm dependencies.
#   bash scripts/install.sh [--bench | --torch]
# --bench (the same as --torch) also installs PyTorch for the benchmarks' PyTorch rows: Debian's
# python3-torch and python3-numpy, which the bench runs through /usr/bin/python3 (the `python3` first
# on PATH may be another interpreter, without torch). Needs root or sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
torch=0
for a in "$@"; do
  case "$a" in
    --bench | --torch) torch=1 ;;
    *) echo "install: unknown option '$a'; --bench (or --torch) also installs PyTorch for the benchmarks" >&2; exit 2 ;;
  esac
done

install_torch() {
  if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
    echo "install: PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') is installed already (/usr/bin/python3)"
    return 0
  fi
  local as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "install: installing PyTorch needs root: run 'apt-get install -y python3-torch python3-numpy' as root" >&2
      return 1
    fi
    as_root=(sudo)
  fi
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch python3-numpy
  /usr/bin/python3 -c 'import torch; print("install: PyTorch", torch.__version__, "in /usr/bin/python3")'
}

bash scripts/setup.sh
# npm 11 refuses a lock file that lacks other platforms' optional packages (@deno/darwin-*,
# @rollup/*, ...: npm/cli#4828, #8320); lock files written where the registry serves only this
# platform's packages lack them. npm 10 (Node 20's own npm) installs the same locked tree.
if ! npm ci --no-audit --no-fund; then
  echo "install: npm $(npm --version) refused the lock file; installing the same locked versions with npm 10's ci" >&2
  npx -y npm@10 ci --no-audit --no-fund
fi
if [ "$torch" -eq 1 ]; then install_torch; fi
