#!/usr/bin/env bash
# A post-norm Transformer encoder layer (B=8, L=128, d=512, 8 heads, key-length mask), Heed vs
# PyTorch side by side, three rounds; PyTorch in its best configuration (docs: TOOLCHAIN.md):
# OpenMP OpenBLAS, large malloc thresholds, 2 threads. Usage: run.sh [B L]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${HEED_BUILD_DIR:-$here/../../build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
/usr/bin/python3 "$here/make_inputs.py" "${1:-8}" "${2:-128}"
"$build/bin/heed-compile" "$here/encoder_layer.mlir" -o enc.heedm
args=()
for n in x len wqkv bqkv wo bo g1 b1 w1 c1 w2 c2 g2 b2; do args+=("--input=@$n.npy"); done
for round in 1 2 3; do
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp MALLOC_MMAP_THRESHOLD_=4294967296 \
    MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 \
    /usr/bin/python3 "$here/torch_encoder_layer.py" 30
  "$build/bin/heed-run" enc.heedm "${args[@]}" --expected-output=@ref.npy --repeat=30 \
    --print-stats | grep -E "^stats|output 0"
done
uptime
