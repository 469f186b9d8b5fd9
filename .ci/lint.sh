#!/usr/bin/env bash
# clang-format check of the project's C++ (TableGen is not formatted). Fails listing each file that
# differs from .clang-format; fix with: clang-format-22 -i FILE.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files -- '*.cpp' '*.h' | grep -vE '^(build|third_party)/' || true)
[[ ${#files[@]} -eq 0 ]] && exit 0
bad=()
for f in "${files[@]}"; do
  clang-format-22 --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "lint: not clang-formatted (run clang-format-22 -i on them):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "lint: ${#files[@]} C++ files formatted"
