#!/usr/bin/env bash
# The test command: installs missing packages, builds everything, checks formatting and runs the
# whole regression suite (lit + FileCheck, the GoogleTest unit tests, the e2e models on the CPU and
# Vulkan), then the fuzz targets briefly and the lit suite again under ASan + UBSan.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_BUILD_DIR:-$root/build}

"$root/.ci/build.sh"
"$root/.ci/lint.sh"

log=$(mktemp)
status=0
# Adds a lit log's counts to passed/failed.
count_lit() {
  local p f
  p=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$1" | head -n1)
  f=$({ grep -E '^ *(Failed|Unresolved|Timed Out) *:' "$1" || true; } |
    sed 's/.*: *\([0-9]*\).*/\1/' | awk '{s+=$1} END {print s+0}')
  passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0}))
}
passed=0 failed=0
/usr/lib/llvm-22/bin/lit -sv -Dvulkan=required "$build/test" 2>&1 | tee "$log" || status=$?
count_lit "$log"
# The fuzz targets under ASan + UBSan (build-fuzz/): seeds and regressions replayed, then a fixed
# number of mutations from a fixed seed; each target counts as one test.
"$root/.ci/fuzz.sh" --ci 2>&1 | tee "$log" || status=1
fuzz=$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$log")
read -r fuzz_passed fuzz_failed <<<"${fuzz:-0 1}" # no summary: the script itself failed
passed=$((passed + fuzz_passed)) failed=$((failed + fuzz_failed))
# The whole lit suite again under ASan + UBSan + LSan (build-asan/, a second build: about 10
# minutes on 2 cores with a cold cache). HEED_SANITIZE=0 skips it for a quicker local run.
if [[ ${HEED_SANITIZE:-1} != 0 ]]; then
  echo "== the lit suite under ASan + UBSan (.ci/sanitize.sh)"
  "$root/.ci/sanitize.sh" 2>&1 | tee "$log" || status=1
  count_lit "$log"
  grep -q '^Total Discovered Tests' "$log" || failed=$((failed + 1)) # the build itself failed
fi
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
exit $status
