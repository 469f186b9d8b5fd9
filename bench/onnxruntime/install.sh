#!/usr/bin/env bash
# Installs onnxruntime-node (the CPU onnxruntime library) for the benchmarks into a cache folder
# (default ~/.cache/heed-bench/onnxruntime) and prints the module's path. Benchmark-only: nothing
# in the build or the tests needs it. --ignore-scripts: the install script would download GPU
# parts from outside the npm registry; the CPU library ships inside the package.
set -euo pipefail
cache=${HEED_ORT_CACHE:-$HOME/.cache/heed-bench/onnxruntime}
version=${HEED_ORT_VERSION:-1.31.1}
module=$cache/node_modules/onnxruntime-node
if [[ ! -f $module/package.json ]] || ! grep -q "\"version\": \"$version\"" "$module/package.json"; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --ignore-scripts --no-audit --no-fund "onnxruntime-node@$version" >&2
fi
echo "$module"
