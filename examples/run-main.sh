#!/usr/bin/env bash
# The main job: installs missing packages, builds Heed, and runs the shipped seq2seq attention example
# through the compile pipeline. (Until the CPU backend lands, "runs" means: compile it with heed-opt
# and print the optimized IR.)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_BUILD_DIR:-$root/build}

"$root/.ci/build.sh" heed-opt
"$build/bin/heed-opt" --heed-pipeline "$root/examples/mlir/bahdanau_step.mlir"
