#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang-22, every library compiled with
# -fsanitize=fuzzer-no-link,address,undefined) and runs them on their seed corpora
# test/fuzz/corpus/<target>/ plus test/fuzz/regressions/<target>/ (inputs that once crashed).
# Fails if any target finds a crash, leak, timeout or UB; crashes go to build-fuzz/crashes/<target>/.
#
# Usage: .ci/fuzz.sh [SECONDS] [TARGET...]  fuzz each target SECONDS (default 30), random seed;
#                                           new inputs go to build-fuzz/corpus/<target>/
#        .ci/fuzz.sh --ci [TARGET...]       what test/run-all.sh runs: the replay, then a fixed
#                                           number of mutations from a fixed seed (CI_RUNS below)
#        .ci/fuzz.sh --replay [TARGET...]   only run every seed and regression once (seconds)
# --ci and --replay start from the committed seeds every time (nothing learnt before is reused)
# without address randomisation, so local and CI runs try nearly the same inputs (not bit for bit:
# docs/reliability.md). Prints "fuzz: N passed, M failed" last.
# Environment: HEED_FUZZ_BUILD_DIR (default build-fuzz), HEED_FUZZ_JOBS (parallel targets, default 1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_FUZZ_BUILD_DIR:-$root/build-fuzz}
mode=time seconds=30
case ${1:-} in
  --ci) mode=ci; shift ;;
  --replay) mode=replay; shift ;;
  *) seconds=${1:-30}; shift || true ;;
esac
jobs=${HEED_FUZZ_JOBS:-1}

# Executions per target in --ci mode (the replay included), from seed 1: each 10-30 s on the
# shared 2-core development machine (docs/reliability.md).
declare -A CI_RUNS=(
  [fuzz-npy]=30000 [fuzz-safetensors]=25000 [fuzz-npz]=35000 [fuzz-module]=30000
  [fuzz-heed-ir]=20000 [fuzz-native]=15000 [fuzz-onnx]=25000 [fuzz-decoder]=30000
)

"$root/.ci/install-deps.sh"

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g"
if [[ ! -f "$build/build.ninja" ]]; then
  mkdir -p "$build"
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DHEED_ENABLE_FUZZERS=ON -DHEED_ENABLE_BENCHMARKS=OFF -DHEED_ENABLE_VULKAN=OFF -DHEED_ENABLE_PYTHON=OFF \
    >"$build/configure.log" 2>&1 || {
      cat "$build/configure.log" >&2
      echo "fuzz: 0 passed, 1 failed (configure)"
      exit 1
    }
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(ninja -C "$build" -t targets all | sed -n 's/^\(fuzz-[a-z-]*\): .*/\1/p' |
    sort -u)
fi
ninja -C "$build" -j "$(nproc)" "${targets[@]}" || {
  echo "fuzz: 0 passed, ${#targets[@]} failed (build)"
  exit 1
}

# Leaks are reported (detect_leaks=1); allocations above 2 GiB are a finding (malloc_limit_mb).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Fixed-seed runs repeat exactly only if nothing else varies: without address randomisation
# (pointer-keyed hash tables change MLIR's coverage) and with the harnesses' temporary files at
# the same place (their path reaches error messages).
launch=()
if [[ $mode != time ]]; then
  export TMPDIR=/tmp
  setarch "$(uname -m)" -R true 2>/dev/null && launch=(setarch "$(uname -m)" -R)
fi
run() {
  local t=$1
  local seeds="$root/test/fuzz/corpus/$t" crashes="$build/crashes/$t" log="$build/$t.log"
  local work="$build/corpus/$t" budget=("-max_total_time=$seconds")
  if [[ $mode != time ]]; then
    # A fresh, empty first directory (where libFuzzer writes new inputs): every run starts from
    # the committed seeds alone.
    work="$build/ci-corpus/$t"
    rm -rf "$work"
    budget=(-seed=1 "-runs=$([[ $mode == ci ]] && echo "${CI_RUNS[$t]:-10000}" || echo 0)")
  fi
  mkdir -p "$work" "$crashes"
  local extra=()
  [[ -d "$root/test/fuzz/regressions/$t" ]] && extra=("$root/test/fuzz/regressions/$t")
  [[ -f "$root/test/fuzz/dict/$t.dict" ]] && extra+=("-dict=$root/test/fuzz/dict/$t.dict")
  local start=$SECONDS
  if "${launch[@]}" "$build/bin/fuzz/$t" "$work" "$seeds" "${extra[@]}" "${budget[@]}" \
    -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
    local execs cov
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | head -n1)
    cov=$(grep -a -o 'cov: [0-9]*' "$log" | tail -n1 | awk '{print $2}')
    echo "$t: ok, $execs execs, cov ${cov:-?}, $((SECONDS - start)) s ($mode)"
  else
    echo "$t: FAILED (see $log; inputs in $crashes)"
    { grep -a -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" || true; } | head -n 20
    tail -n 30 "$log" >&2
    return 1
  fi
}
pids=() passed=0 failed=0
reap() { if wait "$1"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }
for t in "${targets[@]}"; do
  run "$t" &
  pids+=($!)
  if [[ ${#pids[@]} -ge $jobs ]]; then
    reap "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do reap "$p"; done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
