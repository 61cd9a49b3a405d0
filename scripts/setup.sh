#!/usr/bin/env bash
# The install step of the README (also `npm run setup`). Makes sure that Dawn (the npm package
# `webgpu`) finds a WebGPU adapter, installing a software Vulkan driver where there is none:
#
#   1. Probe: if Dawn already finds an adapter (a GPU, or a software driver installed earlier), change
#      nothing on the system and exit 0. Running this script twice is therefore harmless.
#   2. Otherwise, on Debian 12 as root: enable the bookworm-backports suite by adding it to the
#      `Suites:` line of the existing /etc/apt/sources.list.d/debian.sources (no new source address),
#      apt-get update, and install Mesa lavapipe 25 from backports (the default adapter; Debian 12's own
#      Mesa 22.3 lavapipe is rejected by Dawn), `chromium` (SwiftShader, the fallback adapter, and the
#      browser for the Chromium tests) and `dataset-fashion-mnist` (the `--data fashion-mnist` files).
#   3. Elsewhere (not root, not Debian 12): print exactly what to install, and exit 1.
#
# Progress goes to stderr. Environment: ROBUSTLENS_ADAPTER (see scripts/gpu-env.sh) picks the driver
# that is probed. Options (for checking this script): --force installs even when an adapter is found;
# --dry-run prints each command that would change the system instead of running it.
set -euo pipefail
cd "$(dirname "$0")/.."

FORCE=0 DRY=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option '$arg' (use --force, --dry-run or --help)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*" >&2; }
# Run a command that changes the system (or only show it under --dry-run); its output goes to stderr.
run() {
  say "+ $*"
  if [ "$DRY" = 1 ]; then return 0; fi
  "$@" >&2
}

BACKPORTS_PKGS=(mesa-vulkan-drivers libvulkan1)
MAIN_PKGS=(chromium dataset-fashion-mnist)
SOURCES=/etc/apt/sources.list.d/debian.sources
FASHION_DIR=/usr/share/datasets/fashion-mnist

manual_steps() {
  cat >&2 <<MSG
setup: Dawn finds no WebGPU adapter here, and this script installs one only on Debian 12 as root.
setup: Install these yourself (Debian 12 commands; use your system's equivalents elsewhere):
  1. add 'bookworm-backports' to the 'Suites:' line of $SOURCES (the one that lists 'bookworm')
  2. apt-get update
  3. apt-get install -y -t bookworm-backports ${BACKPORTS_PKGS[*]}    # Mesa lavapipe >= 25 (software Vulkan)
  4. apt-get install -y ${MAIN_PKGS[*]}       # SwiftShader + browser tests, Fashion-MNIST
setup: Elsewhere: any Vulkan driver that Dawn accepts (a GPU driver, or Mesa lavapipe >= 25) plus the
setup: Vulkan loader (libvulkan1); Chromium for the browser tests. Then run this script again to check.
MSG
}

# ---- Node -------------------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1; then
  say "Node.js >= 20 is required and was not found on PATH (https://nodejs.org, or apt-get install nodejs from NodeSource)."
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  say "Node.js >= 20 is required; found $(node --version)."
  exit 1
fi

if ! source scripts/gpu-env.sh; then
  say "continuing with the Vulkan loader's default driver; the install below provides the missing one."
  unset VK_ICD_FILENAMES VK_DRIVER_FILES
fi

# ---- The probe --------------------------------------------------------------------------------
# Before `npm ci` there is no node_modules: fetch the locked version of `webgpu` alone into .cache/
# (npm keeps the tarball in its cache, so the later `npm ci` does not download it again).
probe_module=""
ensure_probe_module() {
  if node --input-type=module -e "await import('webgpu')" >/dev/null 2>&1; then
    probe_module=""
    return 0
  fi
  local version dir=.cache/probe
  version="$(node -p "require('./package-lock.json').packages['node_modules/webgpu'].version" 2>/dev/null || true)"
  version="${version:-latest}"
  if [ ! -f "$dir/node_modules/webgpu/index.js" ]; then
    say "no node_modules yet: fetching webgpu@$version into $dir to probe for an adapter"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
      --loglevel=error "webgpu@$version" >&2
  fi
  probe_module="$dir/node_modules/webgpu/index.js"
}

# Prints the probe's JSON line; succeeds when Dawn finds an adapter.
probe() {
  local args=()
  [ -n "$probe_module" ] && args=("$probe_module")
  timeout 120 node scripts/probe-adapter.mjs "${args[@]}" 2>/dev/null
}

# One line about a probe result (its JSON line, or "" when the probe crashed or timed out).
describe() {
  [ -n "${1:-}" ] || { echo "the probe failed or timed out"; return 0; }
  node -e 'const j = JSON.parse(process.argv[1]); console.log(j.ok ? `${j.description || j.device} (${j.vendor}, ${j.architecture})` : j.reason)' "$1"
}

report_extras() {
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] ||
    say "note: chromium is not installed, so the Chromium smoke test will be skipped (apt-get install chromium)."
  [ -d "$FASHION_DIR" ] ||
    say "note: $FASHION_DIR is missing, so '--data fashion-mnist' will not work (apt-get install dataset-fashion-mnist)."
  return 0
}

ensure_probe_module
out=""
if [ "$FORCE" = 1 ]; then
  say "--force: skipping the probe."
elif out="$(probe)"; then
  say "Dawn finds a WebGPU adapter: $(describe "$out")${VK_ICD_FILENAMES:+ [VK_ICD_FILENAMES=$VK_ICD_FILENAMES]}."
  say "nothing to install; the system is left as it is."
  report_extras
  exit 0
fi
[ "$FORCE" = 1 ] || say "Dawn finds no WebGPU adapter with the driver scripts/gpu-env.sh picks: $(describe "$out")."
if [ "$FORCE" = 0 ] && [ "${ROBUSTLENS_ADAPTER:-auto}" = auto ] && [ -n "${VK_ICD_FILENAMES:-}" ]; then
  # A pinned lavapipe failed: does the loader's own choice (say, a real GPU) work?
  if out="$(env -u VK_ICD_FILENAMES -u VK_DRIVER_FILES bash -c "$(declare -f probe); probe_module='$probe_module'; probe")"; then
    say "but with the Vulkan loader's default driver it finds $(describe "$out"): nothing to install."
    say "run the scripts with ROBUSTLENS_ADAPTER=system to use it."
    exit 0
  fi
fi

# ---- Install (Debian 12, root) ----------------------------------------------------------------
os_id="" os_codename=""
if [ -r /etc/os-release ]; then
  os_id="$(. /etc/os-release && echo "${ID:-}")"
  os_codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
fi
if [ "$os_id" != debian ] || [ "$os_codename" != bookworm ]; then
  say "this is not Debian 12 (bookworm) (ID=${os_id:-?}, VERSION_CODENAME=${os_codename:-?})."
  manual_steps
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  say "installing needs root (this is uid $(id -u))."
  manual_steps
  exit 1
fi

# Enabled already? (a non-comment line naming the suite, in any apt source file)
if grep -qsE '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
  say "bookworm-backports is enabled already."
elif [ -f "$SOURCES" ] && grep -qE '^Suites:(.*[[:space:]])?bookworm([[:space:]]|$)' "$SOURCES"; then
  say "enabling bookworm-backports: adding it to the 'Suites:' line of $SOURCES that lists 'bookworm'."
  # Only the stanza whose Suites list the bare word 'bookworm' (not bookworm-security) changes.
  edit='/^Suites:/{/[[:space:]]bookworm([[:space:]]|$)/{/bookworm-backports/!s/[[:space:]]*$/ bookworm-backports/}}'
  if [ "$DRY" = 1 ]; then
    say "+ sed -i -E '$edit' $SOURCES   (would change:)"
    sed -E "$edit" "$SOURCES" | diff "$SOURCES" - | sed 's/^/setup:   /' >&2 || true
  else
    sed -i -E "$edit" "$SOURCES"
    grep -E '^Suites:' "$SOURCES" | sed 's/^/setup:   /' >&2
  fi
else
  say "cannot enable bookworm-backports: $SOURCES has no 'Suites:' line listing 'bookworm'."
  manual_steps
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
say "updating the package lists"
run apt-get update -q
say "installing Mesa lavapipe 25 from bookworm-backports (the default WebGPU adapter)"
run apt-get install -y -q --no-install-recommends -t bookworm-backports "${BACKPORTS_PKGS[@]}"
say "installing chromium (SwiftShader fallback adapter, browser tests) and dataset-fashion-mnist"
run apt-get install -y -q --no-install-recommends "${MAIN_PKGS[@]}"
if [ "$DRY" = 1 ]; then
  say "--dry-run: nothing was changed."
  exit 0
fi

# ---- Check ------------------------------------------------------------------------------------
source scripts/gpu-env.sh || true
if out="$(probe)"; then
  say "done: Dawn finds $(describe "$out") [VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset}]."
else
  say "installed, but Dawn still finds no adapter: $(describe "$out")."
  say "diagnose with: source scripts/gpu-env.sh && VK_LOADER_DEBUG=error,driver node scripts/probe-adapter.mjs"
  exit 1
fi
if out="$(ROBUSTLENS_ADAPTER=swiftshader bash -c "source scripts/gpu-env.sh && $(declare -f probe) && probe_module='$probe_module' && probe")"; then
  say "fallback (ROBUSTLENS_ADAPTER=swiftshader): $(describe "$out")."
else
  say "warning: the SwiftShader fallback does not work: $(describe "$out")."
fi
report_extras
