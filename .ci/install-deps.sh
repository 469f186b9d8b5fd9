#!/usr/bin/env bash
# Installs the Debian packages Heed needs, if any is missing. Idempotent: with everything present it
# only checks (well under a second). As root it runs apt-get; otherwise it prints the exact command.
set -euo pipefail

HEED_PACKAGES=(
  cmake ninja-build ccache clang-22 lld-22 clang-format-22 libclang-rt-22-dev
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  libdnnl-dev ocl-icd-opencl-dev
  libvulkan-dev mesa-vulkan-drivers vulkan-tools vulkan-validationlayers glslang-tools spirv-tools
  libshaderc-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  flatbuffers-compiler libflatbuffers-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-numpy python3-onnx python3-torch libopenblas0-openmp
)

missing=()
for pkg in "${HEED_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "heed: installing missing Debian packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "heed: not root; run this first:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "heed: packages installed"
