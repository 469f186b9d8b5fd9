#!/usr/bin/env bash
# The test command: installs missing packages, builds everything, checks formatting and runs the
# whole regression suite (lit + FileCheck, the GoogleTest unit tests, and later the e2e models).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_BUILD_DIR:-$root/build}

"$root/.ci/build.sh"
"$root/.ci/lint.sh"

log=$(mktemp)
status=0
/usr/lib/llvm-22/bin/lit -sv -Dvulkan=required "$build/test" 2>&1 | tee "$log" || status=$?
passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | head -n1)
failed=$({ grep -E '^ *(Failed|Unresolved|Timed Out) *:' "$log" || true; } |
  sed 's/.*: *\([0-9]*\).*/\1/' | awk '{s+=$1} END {print s+0}')
# The fuzz targets under ASan + UBSan (build-fuzz/): seeds and regressions replayed, then a fixed
# number of mutations from a fixed seed; each target counts as one test.
"$root/.ci/fuzz.sh" --ci 2>&1 | tee "$log" || status=1
fuzz=$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$log")
read -r fuzz_passed fuzz_failed <<<"${fuzz:-0 1}" # no summary: the script itself failed
passed=$((${passed:-0} + fuzz_passed)) failed=$((${failed:-0} + fuzz_failed))
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
exit $status
