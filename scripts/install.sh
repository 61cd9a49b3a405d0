#!/usr/bin/env bash
# The README's install step: a WebGPU adapter (scripts/setup.sh) and the locked npm dependencies.
#
#   bash scripts/install.sh           # adapter + npm ci
#   bash scripts/install.sh --torch   # also Debian's PyTorch and NumPy (python3-torch, python3-numpy), which
#                                     # test/pt-torch.test.ts compares against (CI passes it) and the
#                                     # benchmarks' PyTorch rows run; --bench is the same
#
# PyTorch runs through /usr/bin/python3: the `python3` first on PATH may be another interpreter, without
# Debian's packages. Installing it needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

torch=0
for arg in "$@"; do
  case "$arg" in
    --torch | --bench) torch=1 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install: unknown option '$arg' (use --torch, --bench or --help)" >&2; exit 2 ;;
  esac
done

install_torch() {
  if /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
    echo "install: PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') and NumPy found (/usr/bin/python3)" >&2
    return 0
  fi
  local as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "install: --torch needs root: run 'apt-get install -y python3-torch python3-numpy' as root" >&2
      return 1
    fi
    as_root=(sudo)
  fi
  echo "install: + apt-get install -y python3-torch python3-numpy" >&2
  "${as_root[@]}" apt-get update >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-torch python3-numpy >&2
  /usr/bin/python3 -c 'import torch; print("install: PyTorch", torch.__version__, "in /usr/bin/python3")' >&2
}

bash scripts/setup.sh
if [ "$torch" = 1 ]; then install_torch; fi
# The lock file lists every platform's optional packages, so the machine's npm (11) installs it as is.
npm ci --no-audit --no-fund
