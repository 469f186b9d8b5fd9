#!/bin/sh
# Runs a command that must fail with exit status exactly 1: not 0, not 2, not a signal (128+N) and
# not a sanitizer abort. Its stdout and stderr go to stdout for FileCheck.
"$@" 2>&1
status=$?
if [ "$status" -ne 1 ]; then
  echo "exit1.sh: expected exit status 1, got $status: $*"
  exit 1
fi
exit 0
