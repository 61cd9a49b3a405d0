# shellcheck shell=bash
# Sourced (not run) by the scripts and by hand: `source scripts/gpu-env.sh`. Sets up the
# environment WebGPU needs on a machine without a GPU, and picks the Vulkan driver:
#
#   ROBUSTLENS_ADAPTER=auto         (default) Mesa lavapipe when it is installed and new enough for
#                                    Dawn (Mesa >= 25); otherwise leave the Vulkan loader's choice alone.
#                                    A VK_ICD_FILENAMES the caller set already is always kept.
#   ROBUSTLENS_ADAPTER=lavapipe     Mesa lavapipe (scripts/setup.sh installs it)
#   ROBUSTLENS_ADAPTER=swiftshader  SwiftShader from the `chromium` package (the second implementation)
#   ROBUSTLENS_ADAPTER=system       whatever the loader finds (a real GPU); VK_ICD_FILENAMES is cleared
#
# Safe under `set -euo pipefail`, and safe to source more than once. Returns non-zero (after saying
# why on stderr) only for an unknown ROBUSTLENS_ADAPTER value or a missing driver that was asked for.

# Dawn's Vulkan backend needs a writable XDG_RUNTIME_DIR; keep the caller's if it is usable.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "${XDG_RUNTIME_DIR}" ] || [ ! -w "${XDG_RUNTIME_DIR}" ]; then
  XDG_RUNTIME_DIR="/tmp/robustlens-xdg-$(id -u 2>/dev/null || echo 0)"
  if ! { mkdir -p "$XDG_RUNTIME_DIR" 2>/dev/null && [ -O "$XDG_RUNTIME_DIR" ] && [ -w "$XDG_RUNTIME_DIR" ]; }; then
    XDG_RUNTIME_DIR="$(mktemp -d 2>/dev/null || echo /tmp)"
  fi
  chmod 700 "$XDG_RUNTIME_DIR" 2>/dev/null || true
  export XDG_RUNTIME_DIR
fi

_rl_lvp_icd=/usr/share/vulkan/icd.d/lvp_icd.json
_rl_swiftshader_icd=/usr/lib/chromium/vk_swiftshader_icd.json

# The Vulkan loader reads VK_DRIVER_FILES before VK_ICD_FILENAMES (loader >= 1.3.207): set both.
_rl_use_icd() {
  export VK_ICD_FILENAMES="$1"
  export VK_DRIVER_FILES="$1"
}

# Mesa's Debian version, when dpkg knows it ("" otherwise).
_rl_mesa_major() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | sed -E 's/^([0-9]+:)?([0-9]+).*/\2/' || true
}

case "${ROBUSTLENS_ADAPTER:-auto}" in
  auto)
    if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$_rl_lvp_icd" ]; then
      _rl_major="$(_rl_mesa_major)"
      # Debian 12's own lavapipe (Mesa 22.3) is rejected by Dawn; pin only one that works.
      if [ -z "$_rl_major" ] || [ "$_rl_major" -ge 25 ] 2>/dev/null; then
        _rl_use_icd "$_rl_lvp_icd"
      fi
      unset _rl_major
    fi
    ;;
  lavapipe)
    if [ -f "$_rl_lvp_icd" ]; then
      _rl_use_icd "$_rl_lvp_icd"
    else
      echo "gpu-env.sh: ROBUSTLENS_ADAPTER=lavapipe but $_rl_lvp_icd is missing; run 'bash scripts/setup.sh' (as root) to install Mesa lavapipe" >&2
      return 1 2>/dev/null || exit 1
    fi
    ;;
  swiftshader)
    if [ -f "$_rl_swiftshader_icd" ]; then
      _rl_use_icd "$_rl_swiftshader_icd"
    else
      echo "gpu-env.sh: ROBUSTLENS_ADAPTER=swiftshader but $_rl_swiftshader_icd is missing; install the 'chromium' package (bash scripts/setup.sh)" >&2
      return 1 2>/dev/null || exit 1
    fi
    ;;
  system)
    unset VK_ICD_FILENAMES VK_DRIVER_FILES
    ;;
  *)
    echo "gpu-env.sh: unknown ROBUSTLENS_ADAPTER='${ROBUSTLENS_ADAPTER}'; use auto, lavapipe, swiftshader or system" >&2
    return 1 2>/dev/null || exit 1
    ;;
esac
unset -f _rl_use_icd _rl_mesa_major
unset _rl_lvp_icd _rl_swiftshader_icd
