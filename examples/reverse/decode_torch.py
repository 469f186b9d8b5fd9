#!/usr/bin/python3
"""PyTorch beam search over the reverse model, written from docs/decoding.md ("The drivers"),
independently of Heed's runtime/decode, to give Heed's n-best lists a reference.

Run with Debian's Python (torch 1.13): /usr/bin/python3 examples/reverse/decode_torch.py
(about a minute on one core). It loads the committed weights.safetensors into train.py's model
and writes, next to this file:
  long.src.txt                   40 sources of 11-14 symbols, longer than any seen in training
                                 (the model fails on many of them, so even the best hypothesis
                                 is an interesting, wrong output); long.tgt.txt their reversals
  torch/beam4-lp0.6-nbest4.txt   heldout.src.txt, beam 4, n-best 4, length penalty 0.6
  torch/beam3-noearly-nbest3.txt heldout.src.txt, beam 3, n-best 3, no early stop, alpha 0
  torch/long-beam4-lp0.6-nbest4.txt, torch/long-beam3-noearly-nbest3.txt: the same on long.src.txt
  torch/long-greedy.txt          greedy decoding of long.src.txt (beam 1), one line per source
  torch/long-score.txt           teacher-forced scores of long.src.txt's reversals (the
                                 references the model misses), as torch/score.txt
The n-best files hold `SOURCE_INDEX<TAB>SCORE<TAB>LOGPROB<TAB>TOKENS` lines, best first, as
`heed-run translate --n-best=N --print-logprob` prints them.

The search, per source (each source is decoded alone here; Heed batches them):
- live hypotheses start as one empty hypothesis (log-prob 0, previous token <s>).
- each step computes log p(v | hypothesis) for every live hypothesis h and token v; candidate
  (h, v) has log-prob logp(h) + log p(v | h) (accumulated in double from the f32 log-probs).
  Candidates are ranked by log-prob, highest first; ties go to the lower live index h (live
  hypotheses are kept in the order they were ranked), then to the lower token id v.
- the first 2 * beam candidates are walked in rank order. At the last step (the step that
  generates token number max_length, max_length = 2 * source length + 10 counting </s>), the
  first `beam` candidates are all finished: ended if v is </s>, else cut (ended = False, v kept).
  Otherwise a candidate with v = </s> is finished (ended); any other joins the next live set,
  and the walk ends once `beam` candidates have joined it.
- a finished hypothesis's score is logp / ((5 + len) / 6) ** alpha, len counting </s> when it
  ended (alpha = 0: the log-prob itself).
- the source stops after the last step, when no candidate stayed live, with early stop once it
  has `beam` finished hypotheses (counting all finished so far), and without early stop once it
  has at least n_best finished and the best live hypothesis's score (its length without </s>)
  is below the n_best-th best finished score.
- its finished hypotheses are sorted by score, highest first; equal scores by token sequence,
  lexicographically smaller first; the first n_best are returned, without <s> and </s>.
Greedy decoding is beam 1 (early stop always).
"""
import os
import random
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import train  # noqa: E402  (the model definition and the held-out set)

BOS, EOS = train.BOS, train.EOS


def load_model():
    model = train.Model()
    weights = train.load_safetensors(os.path.join(HERE, "weights.safetensors"))
    state = {}
    for key in model.state_dict():
        prefix, rest = key[len("m."):].split(".", 1)
        state[key] = weights[prefix.replace("_", ".") + "." + rest]
    model.load_state_dict(state)
    model.eval()
    return model


def length_norm(logp, length, alpha):
    return logp if alpha == 0 else logp / ((5.0 + length) / 6.0) ** alpha


def beam_search(model, source, beam, n_best, alpha, early_stop, max_length=None):
    """The n_best finished hypotheses of one source: (score, logp, tokens, ended), best first."""
    early_stop = early_stop or beam == 1
    max_length = max_length or 2 * len(source) + 10
    src = torch.tensor([source])
    src_len = torch.tensor([len(source)])
    memory, keys, s = model.encode(src, src_len)
    live = [(0.0, [])]  # (log-prob, tokens), in rank order
    finished = []
    for t in range(max_length):
        n = len(live)
        prev = torch.tensor([tokens[-1] if tokens else BOS for _, tokens in live])
        logp, s_next, _ = model.decode_step(prev, s, memory.expand(n, -1, -1),
                                            keys.expand(n, -1, -1), src_len.expand(n))
        rows = logp.double().tolist()
        cands = [(lp + row[v], h, v) for h, ((lp, _), row) in enumerate(zip(live, rows))
                 for v in range(len(row))]
        cands.sort(key=lambda c: (-c[0], c[1], c[2]))
        cands = cands[:2 * beam]
        last = t + 1 >= max_length
        next_live, parents = [], []
        if last:
            for lp, h, v in cands[:beam]:
                ended = v == EOS
                tokens = live[h][1] + ([] if ended else [v])
                finished.append((length_norm(lp, len(tokens) + ended, alpha), lp, tokens, ended))
        else:
            for lp, h, v in cands:
                if v == EOS:
                    tokens = live[h][1]
                    finished.append((length_norm(lp, len(tokens) + 1, alpha), lp, tokens, True))
                    continue
                next_live.append((lp, live[h][1] + [v]))
                parents.append(h)
                if len(next_live) == beam:
                    break
        if last or not next_live:
            break
        if early_stop and len(finished) >= beam:
            break
        if not early_stop and len(finished) >= n_best:
            nth = sorted((f[0] for f in finished), reverse=True)[n_best - 1]
            best_live = max(length_norm(lp, len(tokens), alpha) for lp, tokens in next_live)
            if best_live < nth:
                break
        live = next_live
        s = s_next[torch.tensor(parents)]
    finished.sort(key=lambda f: (-f[0], f[2]))
    return finished[:n_best]


def score(model, sources, targets):
    """Teacher-forced per-token log-probs of each target + </s>, one source at a time."""
    out = []
    for source, target in zip(sources, targets):
        memory, keys, s = model.encode(torch.tensor([source]), torch.tensor([len(source)]))
        per = []
        for prev, y in zip([BOS] + target, target + [EOS]):
            logp, s, _ = model.decode_step(torch.tensor([prev]), s, memory, keys,
                                           torch.tensor([len(source)]))
            per.append(logp[0, y].item())
        out.append(per)
    return out


def long_sources():
    rng = random.Random(11)
    out = []
    while len(out) < 40:
        length = 11 + len(out) % 4
        out.append([rng.randrange(train.FIRST, train.VOCAB) for _ in range(length)])
    return out


def read_ids(path):
    with open(path) as f:
        return [[int(x) for x in line.split()] for line in f if line.strip()]


def write_nbest(path, model, sources, beam, n_best, alpha, early_stop):
    with open(path, "w") as f:
        for i, source in enumerate(sources):
            for sc, lp, tokens, _ in beam_search(model, source, beam, n_best, alpha, early_stop):
                f.write(f"{i}\t{sc:.6f}\t{lp:.6f}\t{' '.join(map(str, tokens))}\n")


def main():
    torch.set_num_threads(1)
    model = load_model()
    heldout = read_ids(os.path.join(HERE, "heldout.src.txt"))
    long = long_sources()
    with open(os.path.join(HERE, "long.src.txt"), "w") as f:
        f.writelines(" ".join(map(str, s)) + "\n" for s in long)
    with open(os.path.join(HERE, "long.tgt.txt"), "w") as f:
        f.writelines(" ".join(map(str, s[::-1])) + "\n" for s in long)
    out = os.path.join(HERE, "torch")
    with torch.no_grad():
        for prefix, sources in (("", heldout), ("long-", long)):
            write_nbest(os.path.join(out, prefix + "beam4-lp0.6-nbest4.txt"), model, sources,
                        4, 4, 0.6, True)
            write_nbest(os.path.join(out, prefix + "beam3-noearly-nbest3.txt"), model, sources,
                        3, 3, 0.0, False)
        with open(os.path.join(out, "long-greedy.txt"), "w") as f:
            for source in long:
                (_, _, tokens, _), = beam_search(model, source, 1, 1, 0.0, True)
                f.write(" ".join(map(str, tokens)) + "\n")
        with open(os.path.join(out, "long-score.txt"), "w") as f:
            for per in score(model, long, [s[::-1] for s in long]):
                f.write(f"{sum(per):.6f} " + " ".join(f"{p:.6f}" for p in per) + "\n")
        exact = sum(beam_search(model, s, 1, 1, 0.0, True)[0][2] == s[::-1] for s in long)
        print(f"greedy exact match on long.src.txt: {exact}/{len(long)}")


if __name__ == "__main__":
    main()
