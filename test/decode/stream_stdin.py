"""Checks that heed-run translate --src=- writes each batch's lines while its input is still open:
feeds one line at a time through a pipe and waits (up to a timeout) for that line's output before
writing the next. A translator that reads all input first would print nothing until stdin closes.

usage: stream_stdin.py INPUT EXPECTED -- HEED-RUN-COMMAND...
Prints "streamed N lines" on success; exits 1 naming the line that did not come out in time.
"""

import select
import subprocess
import sys

TIMEOUT_S = 120  # compiling the model comes before the first output line

lines = open(sys.argv[1]).read().splitlines()
expected = open(sys.argv[2]).read().splitlines()
command = sys.argv[sys.argv.index("--") + 1:]
proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
out = proc.stdout
got = []
for i, line in enumerate(lines):
    proc.stdin.write((line + "\n").encode())
    proc.stdin.flush()
    # With --batch-size=1 the output of line i (an empty line's too, written with the next
    # batch) comes before line i+1 is written; an empty line's comes once a later source is
    # decoded, so wait only after a non-empty line.
    if not line.strip():
        continue
    while len(got) <= i:
        ready, _, _ = select.select([out], [], [], TIMEOUT_S)
        if not ready:
            proc.kill()
            sys.exit(f"stream_stdin: no output for input line {i + 1} within {TIMEOUT_S} s "
                     "while stdin stayed open")
        chunk = b""
        while not chunk.endswith(b"\n"):
            byte = out.read(1)
            if not byte:
                sys.exit(f"stream_stdin: output ended at input line {i + 1}")
            chunk += byte
        got.append(chunk.decode().rstrip("\n"))
proc.stdin.close()
rest = out.read().decode().splitlines()
got += rest
if proc.wait() != 0:
    sys.exit(f"stream_stdin: exit status {proc.returncode}")
if got != expected:
    sys.exit(f"stream_stdin: output {got} differs from {expected}")
print(f"streamed {len(got)} lines")
