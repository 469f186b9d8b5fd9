#!/usr/bin/python3
"""check_jsonl.py MODE ...: heed-run's --output-format=jsonl parsed by Python's json module and
checked against the text output of the same run and the PyTorch references.

  translate TEXT JSONL [VOCAB]  one object per line: "tokens" equal TEXT's line (VOCAB: the
                                words of "ids" in that vocabulary file), one log-prob per token
                                then </s>'s when it ended, summing to "log_prob"
  nbest TEXT JSONL              {"hypotheses": [...]} against heed-run's n-best text lines
  attention JSONL SRC           one row per generated token (and </s>), one column per source
                                token, rows summing to 1
  score JSONL REF               heed-run score's objects against torch/score.txt (1e-3)
"""
import json
import sys


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def objects(path):
    return [json.loads(line) for line in lines(path)]


def close(a, b, tol):
    return abs(a - b) <= tol


def check_hypothesis(n, h):
    if len(h["log_probs"]) != len(h["ids"]) + h["ended"]:
        sys.exit(f"line {n}: {len(h['log_probs'])} log-probs for {len(h['ids'])} ids")
    if not close(sum(h["log_probs"]), h["log_prob"], 1e-4):
        sys.exit(f"line {n}: log-probs sum to {sum(h['log_probs'])}, log_prob {h['log_prob']}")


def main():
    mode = sys.argv[1]
    if mode == "translate":
        text, got = lines(sys.argv[2]), objects(sys.argv[3])
        vocab = lines(sys.argv[4]) if len(sys.argv) > 4 else None
        assert len(text) == len(got), (len(text), len(got))
        for n, (t, h) in enumerate(zip(text, got), 1):
            check_hypothesis(n, h)
            words = [vocab[i] for i in h["ids"]] if vocab else [str(i) for i in h["ids"]]
            if h["tokens"] != words or " ".join(h["tokens"]) != t:
                sys.exit(f"line {n}: tokens {h['tokens']} ids {h['ids']}, text '{t}'")
        print(f"{len(got)} lines match the text output")
    elif mode == "nbest":
        text, got = lines(sys.argv[2]), objects(sys.argv[3])
        flat = [(n, h) for n, o in enumerate(got) for h in o["hypotheses"]]
        assert len(text) == len(flat), (len(text), len(flat))
        for t, (n, h) in zip(text, flat):
            index, score, log_prob, tokens = t.split("\t")
            check_hypothesis(n + 1, h)
            if int(index) != n or tokens.split() != h["tokens"] or not close(
                    float(score), h["score"], 1e-6) or not close(float(log_prob), h["log_prob"],
                                                                 1e-6):
                sys.exit(f"'{t}' vs {h}")
        print(f"{len(flat)} hypotheses of {len(got)} sources match the text output")
    elif mode == "attention":
        got, sources = objects(sys.argv[2]), lines(sys.argv[3])
        for n, (h, s) in enumerate(zip(got, sources), 1):
            rows = h["attention"]
            if len(rows) != len(h["ids"]) + h["ended"] or any(
                    len(r) != len(s.split()) or not close(sum(r), 1, 1e-4) for r in rows):
                sys.exit(f"line {n}: attention {rows}")
        print(f"{len(got)} attention matrices")
    elif mode == "score":
        got, ref = objects(sys.argv[2]), lines(sys.argv[3])
        assert len(got) == len(ref), (len(got), len(ref))
        for n, (g, r) in enumerate(zip(got, ref), 1):
            want = [float(x) for x in r.split()]
            if g["tokens"][-1] != "</s>" or len(g["tokens"]) != len(g["log_probs"]) or not close(
                    g["score"], want[0], 1e-3) or len(g["log_probs"]) != len(want) - 1 or not all(
                    close(a, b, 1e-3) for a, b in zip(g["log_probs"], want[1:])):
                sys.exit(f"line {n}: {g} vs {r}")
        print(f"{len(got)} scores match")
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
