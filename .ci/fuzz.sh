#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang-22, every library compiled with
# -fsanitize=fuzzer-no-link,address,undefined) and runs each for SECONDS (default 30) on its seed
# corpus test/fuzz/corpus/<target>/ (and test/fuzz/regressions/<target>/). New inputs go to build-fuzz/corpus/<target>/ (the seeds stay
# untouched); crashes to build-fuzz/crashes/<target>/. Fails if any target finds a crash, leak,
# timeout or UB. Usage: .ci/fuzz.sh [SECONDS] [TARGET...]
# Environment: HEED_FUZZ_BUILD_DIR (default build-fuzz), HEED_FUZZ_JOBS (parallel targets, default 1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${1:-30}
shift || true
jobs=${HEED_FUZZ_JOBS:-1}

"$root/.ci/install-deps.sh"

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g"
if [[ ! -f "$build/build.ninja" ]]; then
  mkdir -p "$build"
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DHEED_ENABLE_FUZZERS=ON -DHEED_ENABLE_BENCHMARKS=OFF -DHEED_ENABLE_VULKAN=OFF \
    >"$build/configure.log" 2>&1 || {
      cat "$build/configure.log" >&2
      exit 1
    }
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(ninja -C "$build" -t targets all | sed -n 's/^\(fuzz-[a-z-]*\): .*/\1/p' |
    sort -u)
fi
ninja -C "$build" -j "$(nproc)" "${targets[@]}"

# Leaks are reported (detect_leaks=1); allocations above 2 GiB are a finding (malloc_limit_mb).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
run() {
  local t=$1
  local seeds="$root/test/fuzz/corpus/$t" work="$build/corpus/$t" crashes="$build/crashes/$t"
  mkdir -p "$work" "$crashes"
  local log="$build/$t.log"
  # Inputs that once crashed a target are seeds too (each is also a lit test).
  local extra=()
  [[ -d "$root/test/fuzz/regressions/$t" ]] && extra=("$root/test/fuzz/regressions/$t")
  if "$build/bin/fuzz/$t" "$work" "$seeds" "${extra[@]}" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
    echo "$t: ok, $(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}') execs" \
      "in ${seconds} s"
  else
    echo "$t: FAILED (see $log; inputs in $crashes)" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
}
pids=()
for t in "${targets[@]}"; do
  run "$t" &
  pids+=($!)
  if [[ ${#pids[@]} -ge $jobs ]]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
