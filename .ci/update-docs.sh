#!/usr/bin/env bash
# Regenerates the committed dialect and pass reference (docs/dialect/) from the .td files.
# test/docs.test fails when they are stale.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_BUILD_DIR:-$root/build}
"$root/.ci/build.sh" mlir-doc
cp "$build/docs/Dialects/HeedDialect.md" "$build/docs/Passes/HeedPasses.md" "$root/docs/dialect/"
echo "docs/dialect/ updated"
