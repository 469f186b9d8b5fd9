"""compare_jsonl.py translate|score GOT.jsonl TORCH.jsonl: heed-run's jsonl against PyTorch's
(greedy: the same ids, `ended` and log-prob within 1e-3; score: every log-prob within 1e-3).
Prints "N sentences equal torch" or exits 1 naming the first difference."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import common  # noqa: E402


def rows(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def main():
    mode, got, ref = sys.argv[1], rows(sys.argv[2]), rows(sys.argv[3])
    report = common.Report(mode)
    if mode == "translate":
        common.compare_translations(report, mode, ref, got,
                                    [(r["ids"], r["log_prob"], r["ended"]) for r in ref])
    else:
        common.compare_scores(report, mode, got, [(r["log_probs"], r["score"]) for r in ref])
    if report.failures:
        sys.exit(report.failures[0])
    print("%d sentences equal torch" % len(ref))


if __name__ == "__main__":
    main()
