#!/usr/bin/env bash
# Reruns the fresh trials (README.md): trains and exports the models into build/fresh-trials (the
# first run trains for a few minutes; later runs reuse the seeded weights), then compares Heed with
# PyTorch. Needs a finished build (.ci/build.sh). Exit status 1 when any check failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3  # Debian's torch and onnx; the pyenv python3 on PATH has neither
status=0
PYTHONPATH= "$py" "$here/trial_seq2seq.py" "$@" || status=1
PYTHONPATH="$root/build/python" "$py" "$here/trial_python.py" || status=1
PYTHONPATH= "$py" "$here/trial_families.py" || status=1
exit $status
