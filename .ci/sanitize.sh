#!/usr/bin/env bash
# The whole regression suite under AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on):
# configures build-asan/ (clang-22, -fsanitize=address,undefined -fno-sanitize-recover=all), builds
# everything and runs lit on it. Any sanitizer report fails the test that triggered it.
# Usage: .ci/sanitize.sh [lit args...]      Environment: HEED_ASAN_BUILD_DIR (default build-asan).
# A second full build; test/run-all.sh (the CI command) runs it last (see docs/reliability.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_ASAN_BUILD_DIR:-$root/build-asan}

"$root/.ci/install-deps.sh"

flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g1"
if [[ ! -f "$build/build.ninja" ]]; then
  mkdir -p "$build"
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DHEED_ENABLE_BENCHMARKS=OFF -DHEED_ENABLE_PYTHON=OFF >"$build/configure.log" 2>&1 || {
      cat "$build/configure.log" >&2
      exit 1
    }
fi
# mlir-doc: test/docs.test compares the generated dialect docs.
ninja -C "$build" -j "$(nproc)" all mlir-doc

# Python tests that load a sanitized library through ctypes would need the ASan runtime
# preloaded; heed's tests run tools, which link it themselves.
# allow_user_poisoning=0: libMLIR.so is not instrumented but the MLIR headers inlined into Heed
# are, so LLVM's BumpPtrAllocator poisons slabs the library hands out unpoisoned (a false
# use-after-poison). ASan's own checks stay on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:detect_odr_violation=0:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# ASan does not see reads of memory nobody wrote: the CPU driver's uninitialised result buffers
# start as NaN here (runtime/core/TensorMemory.h), so a kernel that skips an element fails a test.
export HEED_POISON_ALLOC=${HEED_POISON_ALLOC:-1}
/usr/lib/llvm-22/bin/lit -sv "$build/test" "$@"
