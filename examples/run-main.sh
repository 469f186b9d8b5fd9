#!/usr/bin/env bash
# The main job: installs missing packages, builds Heed, compiles the shipped Bahdanau seq2seq
# attention example (bidirectional GRU encoder + additive attention decoder) into a module, and runs
# its encode and decode_step functions on the CPU at two source lengths from that one module,
# checking every output against PyTorch's (atol 1e-4, rtol 1e-3).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_BUILD_DIR:-$root/build}
example=$root/examples/bahdanau
module=$build/bahdanau.heedm

"$root/.ci/build.sh" heed-compile heed-run
"$build/bin/heed-compile" "$example/model.heed" -o "$module"
echo "compiled $example/model.heed -> $module"

run() { # FUNCTION LEN
  local ref=$example/ref/$1-len$2 args=()
  for f in $(ls "$ref" | grep '^in\.' | sort -t. -k2 -n); do args+=("--input=@$ref/$f"); done
  for f in $(ls "$ref" | grep '^out\.' | sort -t. -k2 -n); do args+=("--expected-output=@$ref/$f"); done
  echo "== $1, source length $2"
  "$build/bin/heed-run" "$module" --function="$1" "${args[@]}" --print-stats
}
for len in 5 9; do
  run encode "$len"
  run decode_step "$len"
done
