#!/usr/bin/env bash
# Times Heed's fused CPU attention kernel on the reference shapes and measures its peak memory.
# Not part of the test suite: the machines are shared and noisy, so each shape runs in several
# interleaved rounds and the script prints every median; docs/kernels-performance.md keeps results.
#
# usage: bench/attention_memory.sh [BUILD_DIR]     (default: build; needs heed-attention-bench:
#        .ci/build.sh heed-attention-bench)
# env:   ROUNDS (default 3), OMP_NUM_THREADS (default: all cores)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
bench=$build/bin/heed-attention-bench
rounds=${ROUNDS:-3}
[[ -x "$bench" ]] || { echo "error: $bench missing; run .ci/build.sh heed-attention-bench" >&2; exit 1; }

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread|L1d|L2)' | sed 's/  */ /g'
echo "avx512f: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
clang++-22 -O2 "$root/bench/fma_peak.cpp" -o "$build/fma_peak" -L/usr/lib/gcc/x86_64-linux-gnu/12 -lgomp
"$build/fma_peak"

echo "== time (median of each run; GFLOP/s count visible query-key pairs, 4*D flops each)"
# Heed's kernels run with the best instruction set of this CPU, and again with AVX2 (what a Zen3
# runs) where the CPU has more; oneDNN likewise (DNNL_MAX_CPU_ISA).
shapes=(
  "S1 causal|1 8 128 128 64 --mask=causal --repeat=50"
  "S2 none|1 8 512 512 64"
  "S2 none, oneDNN unfused|1 8 512 512 64 --onednn"
  "S2 causal|1 8 512 512 64 --mask=causal"
  "S4 causal|1 16 2048 2048 64 --mask=causal --repeat=5"
  "decode|8 1 1 1024 64 --repeat=500"
  "decode packed|1 8 1 1024 64 --packed --repeat=500"
  "additive decode|8 1 1 50 512 --additive=512 --repeat=200"
  "additive 50 x 50|8 1 50 50 512 --additive=512 --repeat=10"
)
if grep -qw avx512f /proc/cpuinfo; then
  shapes+=(
    "S1 causal|1 8 128 128 64 --mask=causal --repeat=50 --kernels=avx2"
    "S2 none|1 8 512 512 64 --kernels=avx2"
    "S2 none, oneDNN unfused|1 8 512 512 64 --onednn --isa=avx2"
    "S2 causal|1 8 512 512 64 --mask=causal --kernels=avx2"
    "S4 causal|1 16 2048 2048 64 --mask=causal --repeat=5 --kernels=avx2"
    "decode|8 1 1 1024 64 --repeat=500 --kernels=avx2"
  )
fi
for ((r = 1; r <= rounds; ++r)); do
  for entry in "${shapes[@]}"; do
    name=${entry%%|*}
    args=${entry#*|}
    if [[ "$args" == *--isa=avx2* ]]; then
      line=$(DNNL_MAX_CPU_ISA=AVX2 "$bench" ${args/--isa=avx2/})
    else
      line=$("$bench" $args)
    fi
    isa=${line%%]*}
    [[ "$args" == *--isa=avx2* ]] && isa="[oneDNN-avx2"
    printf 'round %d  %-24s %-8s %s\n' "$r" "$name" "${isa#[}" "${line#*: }"
  done
done

echo "== peak memory, B=1 H=16 L=8192 D=64 causal (/usr/bin/time -v)"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident set size/ {print $6}'; }
base=$(rss "$bench" 1 16 8192 8192 64 --mask=causal --dry-run)
peak=$(rss "$bench" 1 16 8192 8192 64 --mask=causal --repeat=1 --warmup=0)
extra=$(((peak - base) / 1024))
echo "inputs+outputs only (--dry-run): $((base / 1024)) MB; with the kernel: $((peak / 1024)) MB;" \
  "kernel's own: $extra MB (goal: < 64 MB)"
[[ $extra -lt 64 ]]
