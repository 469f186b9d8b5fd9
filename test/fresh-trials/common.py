"""Shared pieces of the fresh trials: the reversal task, the tools, and decoding references.

The references here are written from docs/decoding.md (greedy, beam search, scoring), not from
Heed's code or the project's own export scripts: the point of these trials is a new user's view.
Run with /usr/bin/python3 (Debian's torch 1.13 and onnx); see README.md.
"""

import json
import os
import subprocess
import sys

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("HEED_BUILD_DIR", os.path.join(ROOT, "build"))
BIN = os.path.join(BUILD, "bin")
OUT = os.environ.get("FRESH_OUT", os.path.join(BUILD, "fresh-trials"))

PAD, BOS, EOS = 0, 1, 2
VOCAB = 16  # 0 pad, 1 <s>, 2 </s>, 3..15 symbols
FIRST_SYMBOL = 3


def out_dir(name):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    return d


# ---------------------------------------------------------------------------------------------
# The task: reverse a sequence of symbols.

def reversal_batch(gen, batch, lo=3, hi=8):
    lengths = torch.randint(lo, hi + 1, (batch,), generator=gen)
    S = int(lengths.max())
    src = torch.full((batch, S), PAD, dtype=torch.long)
    tgt_in = torch.full((batch, S + 1), PAD, dtype=torch.long)
    tgt_out = torch.full((batch, S + 1), PAD, dtype=torch.long)
    for b in range(batch):
        n = int(lengths[b])
        seq = torch.randint(FIRST_SYMBOL, VOCAB, (n,), generator=gen)
        src[b, :n] = seq
        rev = seq.flip(0)
        tgt_in[b, 0] = BOS
        tgt_in[b, 1:n + 1] = rev
        tgt_out[b, :n] = rev
        tgt_out[b, n] = EOS
    return src, (src != PAD).long(), tgt_in, tgt_out


def test_sources(seed=1234, count=24, lo=2, hi=11):
    """Held-out sources, some outside the trained lengths (the model may be wrong there: the
    comparison is with torch's outputs, not with the reversal)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        n = int(torch.randint(lo, hi + 1, (1,), generator=g))
        out.append([int(t) for t in torch.randint(FIRST_SYMBOL, VOCAB, (n,), generator=g)])
    return out


def write_ids(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(" ".join(str(t) for t in r) + "\n")


# ---------------------------------------------------------------------------------------------
# Tools.

def tool(name, *args, check=True):
    cmd = [os.path.join(BIN, name)] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s\n%s" % (" ".join(cmd), p.returncode, p.stdout,
                                                        p.stderr))
    return p


def heed_translate(module, src_file, device, *extra):
    p = tool("heed-run", "translate", module, "--src=" + src_file, "--device=" + device,
             "--output-format=jsonl", *extra)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def heed_score(module, src_file, tgt_file, device):
    p = tool("heed-run", "score", module, "--src=" + src_file, "--tgt=" + tgt_file,
             "--device=" + device, "--output-format=jsonl")
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# Decoding references over a per-source `step(tokens) -> log-probs [V]` (torch, float32), where
# tokens are the tokens so far, <s> first. Written from docs/decoding.md.

def max_length_of(src):
    return 2 * len(src) + 10


def greedy(step, src, max_length=None):
    max_length = max_length or max_length_of(src)
    tokens, logp = [], 0.0
    for t in range(max_length):
        lp = step([BOS] + tokens)
        v = int(torch.argmax(lp))  # first maximum: the lower id on a tie, as the docs say
        logp += float(lp[v])
        if v == EOS:
            return tokens, logp, True
        tokens.append(v)
    return tokens, logp, False


def beam_search(step, src, beam, n_best, length_penalty=0.0, max_length=None):
    """docs/decoding.md "The drivers", early stop on (the default)."""
    max_length = max_length or max_length_of(src)
    live = [([], 0.0)]
    finished = []  # (score, tokens, logp, ended)

    def finish(tokens, logp, ended):
        n = len(tokens) + (1 if ended else 0)
        score = logp / (((5.0 + n) / 6.0) ** length_penalty) if length_penalty else logp
        finished.append((score, tokens, logp, ended))

    for t in range(max_length):
        cands = []
        for h, (tokens, logp) in enumerate(live):
            lp = step([BOS] + tokens)
            for v in range(lp.shape[0]):
                cands.append((logp + float(lp[v]), h, v))
        cands.sort(key=lambda c: (-c[0], c[1], c[2]))
        if t + 1 == max_length:
            for score, h, v in cands[:beam]:
                toks = live[h][0]
                finish(toks if v == EOS else toks + [v], score, v == EOS)
            break
        nxt = []
        for score, h, v in cands[:2 * beam]:
            if v == EOS:
                finish(live[h][0], score, True)
            else:
                nxt.append((live[h][0] + [v], score))
                if len(nxt) == beam:
                    break
        live = nxt
        if not live or len(finished) >= beam:
            break
    finished.sort(key=lambda f: (-f[0], f[1]))
    return finished[:n_best]


def score(step, tgt):
    """log p(y_t | y_<t) for y_1..y_n, </s>, and their sum."""
    seq = list(tgt) + [EOS]
    lps = []
    for t in range(len(seq)):
        lp = step([BOS] + seq[:t])
        lps.append(float(lp[seq[t]]))
    return lps, sum(lps)


# ---------------------------------------------------------------------------------------------
# Checks.

class Report:
    def __init__(self, title):
        self.title = title
        self.failures = []
        self.passes = 0

    def check(self, ok, what):
        if ok:
            self.passes += 1
            print("  ok    " + what)
        else:
            self.failures.append(what)
            print("  FAIL  " + what)
        sys.stdout.flush()
        return ok

    def done(self):
        print("%s: %d ok, %d failed" % (self.title, self.passes, len(self.failures)))
        for f in self.failures:
            print("  failed: " + f)
        return 1 if self.failures else 0


def compare_translations(report, what, sources, heed_rows, reference):
    """reference: per source (tokens, logp, ended); heed_rows: heed-run jsonl (n-best 1)."""
    bad = []
    for i, (row, (tokens, logp, ended)) in enumerate(zip(heed_rows, reference)):
        got = [int(t) for t in row["ids"]]
        if got != tokens or bool(row["ended"]) != ended or abs(row["log_prob"] - logp) > 1e-3:
            bad.append("sentence %d: heed %s (%.5f, ended %s), torch %s (%.5f, ended %s)" % (
                i + 1, got, row["log_prob"], row["ended"], tokens, logp, ended))
    ok = len(heed_rows) == len(reference) and not bad
    report.check(ok, "%s: %d/%d sentences equal torch%s" % (
        what, len(reference) - len(bad), len(reference), ("; " + bad[0]) if bad else ""))


def compare_nbest(report, what, heed_rows, reference):
    """reference: per source a list of (score, tokens, logp, ended)."""
    bad = []
    for i, (row, ref) in enumerate(zip(heed_rows, reference)):
        hyps = row["hypotheses"] if "hypotheses" in row else [row]
        if len(hyps) != len(ref):
            bad.append("sentence %d: %d hypotheses, torch %d" % (i + 1, len(hyps), len(ref)))
            continue
        for k, (h, (sc, tokens, logp, ended)) in enumerate(zip(hyps, ref)):
            got = [int(t) for t in h["ids"]]
            if got != tokens or abs(h["score"] - sc) > 1e-3 or abs(h["log_prob"] - logp) > 1e-3:
                bad.append("sentence %d hyp %d: heed %s %.5f, torch %s %.5f" % (
                    i + 1, k, got, h["score"], tokens, sc))
                break
    ok = len(heed_rows) == len(reference) and not bad
    report.check(ok, "%s: %d/%d n-best lists equal torch%s" % (
        what, len(reference) - len(set(b.split(":")[0] for b in bad)), len(reference),
        ("; " + bad[0]) if bad else ""))


def compare_scores(report, what, heed_rows, reference):
    """reference: per pair (log-probs, sum)."""
    worst = 0.0
    for row, (lps, total) in zip(heed_rows, reference):
        if len(row["log_probs"]) != len(lps):
            worst = float("inf")
            break
        worst = max(worst, abs(row["score"] - total),
                    max(abs(a - b) for a, b in zip(row["log_probs"], lps)))
    report.check(len(heed_rows) == len(reference) and worst <= 1e-3,
                 "%s: %d scores, max |heed - torch| = %.2e (tolerance 1e-3)" % (
                     what, len(reference), worst))
