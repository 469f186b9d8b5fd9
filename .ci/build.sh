#!/usr/bin/env bash
# Configures (once) and builds Heed in build/ with clang-22, lld, ninja and ccache.
# Usage: .ci/build.sh [ninja targets...]   (default: everything)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_BUILD_DIR:-$root/build}

"$root/.ci/install-deps.sh"

if [[ ! -f "$build/build.ninja" ]]; then
  mkdir -p "$build"
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld >"$build/configure.log" 2>&1 || {
      cat "$build/configure.log" >&2
      exit 1
    }
fi
# Two cores: ninja's default of nproc+2 jobs overcommits memory on big MLIR files.
# With no targets: everything, plus the generated dialect docs test/docs.test compares.
if [[ $# -eq 0 ]]; then
  set -- all mlir-doc
fi
ninja -C "$build" -j "$(nproc)" "$@"
