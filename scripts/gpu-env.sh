# Sourced by the scripts: WebGPU on a machine without a GPU needs a writable XDG_RUNTIME_DIR, and
# uses Mesa lavapipe (installed by scripts/setup.sh) unless the caller chose an ICD already.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/robustlens-xdg}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR" 2>/dev/null || true
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/share/vulkan/icd.d/lvp_icd.json ] && [ "${ROBUSTLENS_ADAPTER:-lavapipe}" = lavapipe ]; then
  export VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json
fi
if [ "${ROBUSTLENS_ADAPTER:-}" = swiftshader ]; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
fi
