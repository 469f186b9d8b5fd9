#!/usr/bin/python3
"""Usage: exit_status.py STATUS COMMAND...: runs COMMAND, copies its stderr and
stdout to stdout, and succeeds only if it exited with exactly STATUS (so a
crash or a signal never passes as a clean user error)."""
import subprocess
import sys

expected = int(sys.argv[1])
run = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
sys.stdout.write(run.stdout.decode(errors="replace"))
if run.returncode != expected:
    print("exit_status.py: expected exit status %d, got %d" % (expected, run.returncode))
    sys.exit(1)
