#!/usr/bin/python3
"""compare_scores.py GOT REF [ATOL]: heed-run score's lines against the training script's
(log-likelihood, then per-token log-probs), each number within ATOL (1e-3)."""
import sys

got, ref = (open(p).read().split("\n") for p in sys.argv[1:3])
atol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-3
got, ref = [l for l in got if l.strip()], [l for l in ref if l.strip()]
if len(got) != len(ref):
    sys.exit(f"{len(got)} lines scored, {len(ref)} expected")
worst = 0.0
for i, (g, r) in enumerate(zip(got, ref)):
    g, r = [float(x) for x in g.split()], [float(x) for x in r.split()]
    if len(g) != len(r):
        sys.exit(f"line {i + 1}: {len(g)} numbers, {len(r)} expected")
    for a, b in zip(g, r):
        worst = max(worst, abs(a - b))
        if abs(a - b) > atol:
            sys.exit(f"line {i + 1}: {a} vs {b} (atol {atol})")
print(f"{len(got)} sentences match, max difference {worst:.2e}")
