#!/usr/bin/python3
"""A PyTorch greedy / sampling loop over examples/reverse with the decoding options of
docs/decoding.md ("Decoding options"), written from that page, not from Heed's
runtime/decode, to check `heed-run translate --output-format=jsonl` against it.

    decode_rules_torch.py SRC HEED.jsonl [--prefix FILE] [--min-length N]
        [--repetition-penalty R] [--no-repeat-ngram-size N] [--max-length N]
        [--topk K --topp P --temperature T --seed S]      (sampling: K != 1)
        [--check-sets]

Per source (beam 1), step t:
- a forced step (t < prefix length) takes the prefix token with the model's own log-prob;
- else the row of log-probs gets the rules: each distinct token already generated (prefix
  included, <s> not) x -> x / R if x > 0 else x * R; </s> -> -inf while fewer than min-length
  tokens; every token that would complete an n-gram already in the hypothesis -> -inf; a row a
  rule changed is renormalized (log-softmax in double, stored as f32);
- greedy: the highest (lowest id on ties) token that is not -inf; sampling: log-prob / T, the
  top K (ids ascending on ties; K = 0: all), then the smallest prefix whose probability reaches
  P, then one draw u = (mt19937_64() >> 11) * 2^-53 of the source's generator
  (mt19937_64(seed + source index)), the first token whose running weight exceeds u * total;
- the step that generates token number max-length (default 2 * source length + 10, </s>
  counted) ends the hypothesis (cut when the token is not </s>).
Prints "N sentences match" when every token equals Heed's and every log-prob is within 1e-3;
with --check-sets (sampling) it instead teacher-forces Heed's tokens and checks each sampled
token lies in the reference's top-k / top-p set, printing "N sampled tokens in their sets".
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REVERSE = os.path.join(HERE, "..", "..", "..", "examples", "reverse")
sys.path.insert(0, REVERSE)
import decode_torch  # noqa: E402
import train  # noqa: E402

BOS, EOS = train.BOS, train.EOS
MASK64 = (1 << 64) - 1


class MT19937_64:
    """The C++ standard's std::mt19937_64 (its default seeding from one integer)."""

    def __init__(self, seed):
        self.mt = [seed & MASK64]
        for i in range(1, 312):
            prev = self.mt[-1]
            self.mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64)
        self.index = 312

    def __call__(self):
        if self.index >= 312:
            for i in range(312):
                x = (self.mt[i] & 0xFFFFFFFF80000000) | (self.mt[(i + 1) % 312] & 0x7FFFFFFF)
                xa = x >> 1
                if x & 1:
                    xa ^= 0xB5026F5AA96619E9
                self.mt[i] = self.mt[(i + 156) % 312] ^ xa
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK64


def apply_rules(row, tokens, a):
    out = row.astype(np.float32).copy()
    changed = False
    if a.repetition_penalty != 1.0:
        for v in sorted(set(tokens)):
            x = float(out[v])
            out[v] = np.float32(x / a.repetition_penalty if x > 0 else x * a.repetition_penalty)
            changed = True
    forbidden = set()
    if len(tokens) < a.min_length:
        forbidden.add(EOS)
    n = a.no_repeat_ngram_size
    if n > 0 and len(tokens) + 1 >= n:
        context = tokens[len(tokens) - (n - 1):] if n > 1 else []
        for i in range(len(tokens) - n + 1):
            if tokens[i:i + n - 1] == context:
                forbidden.add(tokens[i + n - 1])
    for v in forbidden:
        if out[v] != -np.inf:
            out[v] = -np.inf
            changed = True
    if changed:
        top = max(float(x) for x in out)
        if top != -math.inf:
            total = sum(math.exp(float(x) - top) for x in out)
            shift = top + math.log(total)
            out = np.array([np.float32(float(x) - shift) for x in out], dtype=np.float32)
    return out


def candidate_set(row, a):
    """Tokens the sampler may draw, in draw order, with their weights."""
    order = [v for v in range(len(row)) if row[v] != -np.inf]
    order.sort(key=lambda v: (-float(row[v]), v))
    if a.topk > 0:
        order = order[:a.topk]
    top = float(row[order[0]]) / a.temperature
    weight = [math.exp(float(row[v]) / a.temperature - top) for v in order]
    total = sum(weight)
    if a.topp < 1:
        s, keep = 0.0, 0
        while keep < len(order):
            s += weight[keep]
            keep += 1
            if s >= a.topp * total:
                break
        order, weight, total = order[:keep], weight[:keep], s
    return order, weight, total


def sample(row, a, rng):
    order, weight, total = candidate_set(row, a)
    u = (rng() >> 11) * 2.0 ** -53
    target, acc = u * total, 0.0
    for v, w in zip(order, weight):
        acc += w
        if target < acc:
            return v
    return order[-1]


def steps(model, source):
    """A generator of the model's log-prob rows: send the next token, get the next row."""
    memory, keys, s = model.encode(torch.tensor([source]), torch.tensor([len(source)]))
    prev = BOS
    while True:
        logp, s, _ = model.decode_step(torch.tensor([prev]), s, memory, keys,
                                       torch.tensor([len(source)]))
        prev = yield logp[0].numpy()


def decode(model, index, source, prefix, a):
    max_length = a.max_length or 2 * len(source) + 10
    rng = MT19937_64(a.seed + index)
    tokens, log_probs = [], []
    gen = steps(model, source)
    row = next(gen)
    for t in range(max_length):
        if t < len(prefix):
            v, lp = prefix[t], float(row[prefix[t]])
        else:
            processed = apply_rules(row, tokens, a)
            if all(x == -np.inf for x in processed):
                break
            v = sample(processed, a, rng) if a.topk != 1 else int(np.argmax(processed))
            lp = float(processed[v])
        log_probs.append(lp)
        if v == EOS:
            break
        tokens.append(v)
        if t + 1 < max_length:
            row = gen.send(v)
    return tokens, log_probs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("heed")
    p.add_argument("--prefix")
    p.add_argument("--min-length", type=int, default=0)
    p.add_argument("--max-length", type=int, default=0)
    p.add_argument("--repetition-penalty", type=float, default=1.0)
    p.add_argument("--no-repeat-ngram-size", type=int, default=0)
    p.add_argument("--topk", type=int, default=1)
    p.add_argument("--topp", type=float, default=1.0)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--check-sets", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(1)
    model = decode_torch.load_model()
    sources = decode_torch.read_ids(a.src)
    prefixes = [[]] * len(sources)
    if a.prefix:
        with open(a.prefix) as f:
            prefixes = [[int(x) for x in line.split()] for line in f]
    with open(a.heed) as f:
        heed = [json.loads(line) for line in f]
    assert len(heed) == len(sources), (len(heed), len(sources))
    bad = 0
    with torch.no_grad():
        if a.check_sets:
            count = 0
            for i, (source, h) in enumerate(zip(sources, heed)):
                gen = steps(model, source)
                row = next(gen)
                emitted = h["ids"] + ([EOS] if h["ended"] else [])
                for t, v in enumerate(emitted):
                    allowed, _, _ = candidate_set(apply_rules(row, h["ids"][:t], a), a)
                    if v not in allowed:
                        print(f"sentence {i + 1} step {t + 1}: token {v} not in {allowed}")
                        bad += 1
                    count += 1
                    if v != EOS:
                        row = gen.send(v)
            print(f"{count} sampled tokens in their sets" if not bad else f"{bad} outside")
            return
        for i, (source, prefix, h) in enumerate(zip(sources, prefixes, heed)):
            tokens, log_probs = decode(model, i, source, prefix, a)
            same = tokens == h["ids"] and len(log_probs) == len(h["log_probs"]) and all(
                abs(x - y) <= 1e-3 for x, y in zip(log_probs, h["log_probs"])) and abs(
                sum(log_probs) - h["log_prob"]) <= 1e-3
            if not same:
                bad += 1
                print(f"sentence {i + 1}: torch {tokens} {log_probs}\n  heed {h['ids']} "
                      f"{h['log_probs']}")
    print(f"{len(sources)} sentences match" if not bad else f"{bad} sentences differ")


if __name__ == "__main__":
    main()
