#!/usr/bin/env bash
# The README's install step: a WebGPU adapter (scripts/setup.sh) and the locked npm dependencies.
#
#   bash scripts/install.sh           # adapter + npm ci
#   bash scripts/install.sh --torch   # also Debian's PyTorch and NumPy (python3-torch, python3-numpy),
#                                     # which test/pt-torch.test.ts compares against (CI passes it)
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH=0
for arg in "$@"; do
  case "$arg" in
    --torch) TORCH=1 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install: unknown option '$arg' (use --torch or --help)" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh

if [ "$TORCH" = 1 ]; then
  # Debian's own python3 (the one PATH finds first may be another, without Debian's packages).
  if /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
    echo "install: PyTorch and NumPy found ($(/usr/bin/python3 -c 'import torch; print(torch.__version__)'))" >&2
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install: + apt-get install -y python3-torch python3-numpy" >&2
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-torch python3-numpy >&2
  else
    echo "install: --torch needs PyTorch and NumPy for /usr/bin/python3; as root on Debian 12: apt-get install -y python3-torch python3-numpy" >&2
    exit 1
  fi
fi

# npm 11 refuses a lock file that lacks other platforms' optional packages (@deno/darwin-*,
# @rollup/*, ...: npm/cli#4828, #8320); lock files written where the registry serves only this
# platform's packages lack them. npm 10 (Node 20's own npm) installs the same locked tree.
if ! npm ci --no-audit --no-fund; then
  echo "install: npm $(npm --version) refused the lock file; installing the same locked versions with npm 10's ci" >&2
  npx -y npm@10 ci --no-audit --no-fund
fi
