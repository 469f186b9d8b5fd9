#!/usr/bin/python3
"""compare_nbest.py GOT REF [ATOL]: heed-run translate --n-best lines
(SOURCE<TAB>SCORE<TAB>LOGPROB<TAB>TOKENS) against examples/reverse/decode_torch.py's: the same
hypotheses in the same order for every source (tokens exact), scores and log-probs within ATOL
(1e-3). Prints how many hypotheses differ from rank 1, so a reader sees the check bites."""
import sys

atol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-3


def read(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                sys.exit(f"{path}:{n}: expected SOURCE, SCORE, LOGPROB, TOKENS separated by tabs")
            rows.append((int(parts[0]), float(parts[1]), float(parts[2]), parts[3].split()))
    return rows


got, ref = read(sys.argv[1]), read(sys.argv[2])
if len(got) != len(ref):
    sys.exit(f"{len(got)} hypotheses, {len(ref)} expected")
worst, below = 0.0, 0
for n, (g, r) in enumerate(zip(got, ref), 1):
    if g[0] != r[0] or g[3] != r[3]:
        sys.exit(f"hypothesis {n}: source {g[0]} '{' '.join(g[3])}', expected source {r[0]} "
                 f"'{' '.join(r[3])}'")
    for what, a, b in (("score", g[1], r[1]), ("log-prob", g[2], r[2])):
        worst = max(worst, abs(a - b))
        if abs(a - b) > atol:
            sys.exit(f"hypothesis {n} (source {g[0]}): {what} {a} vs {b} (atol {atol})")
    below += n > 1 and got[n - 2][0] == g[0]
sources = len({g[0] for g in got})
print(f"{len(got)} hypotheses of {sources} sources match ({below} below rank 1), "
      f"max difference {worst:.2e}")
