#!/usr/bin/env bash
# Installs the Debian packages Heed needs, if any is missing. Idempotent: with everything present it
# only checks (well under a second). As root it runs apt-get; otherwise it prints the exact command.
set -euo pipefail

# The list: .ci/debian-packages.txt (one package a line, # comments).
mapfile -t HEED_PACKAGES < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$(dirname "${BASH_SOURCE[0]}")/debian-packages.txt")

missing=()
for pkg in "${HEED_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "heed: installing missing Debian packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "heed: not root; run this first:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "heed: packages installed"
