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

The search follows docs/decoding.md's rules (../torch_beam.py spells them out).
"""
import os
import random
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import train  # noqa: E402  (the model definition and the held-out set)
import torch_beam  # noqa: E402  (the beam search, shared with examples/onnx-seq2seq)


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


def stepper(model, source):
    """torch_beam's start, step and select for one source: the state is the GRU's s."""
    src_len = torch.tensor([len(source)])
    memory, keys, s = model.encode(torch.tensor([source]), src_len)

    def step(prev, s):
        n = prev.shape[0]
        logp, s_next, _ = model.decode_step(prev, s, memory.expand(n, -1, -1),
                                            keys.expand(n, -1, -1), src_len.expand(n))
        return logp, s_next

    return (lambda: s), step, (lambda s, parents: s[parents])


def beam_search(model, source, beam, n_best, alpha, early_stop):
    return torch_beam.beam_search(*stepper(model, source), len(source), beam, n_best, alpha,
                                  early_stop)


def score(model, sources, targets):
    """Teacher-forced per-token log-probs of each target + </s>, one source at a time."""
    return [torch_beam.score(*stepper(model, s)[:2], t) for s, t in zip(sources, targets)]


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
            f.writelines(torch_beam.nbest_lines(
                beam_search(model, source, beam, n_best, alpha, early_stop), i))


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
                f.write(torch_beam.score_line(per))
        exact = sum(beam_search(model, s, 1, 1, 0.0, True)[0][2] == s[::-1] for s in long)
        print(f"greedy exact match on long.src.txt: {exact}/{len(long)}")


if __name__ == "__main__":
    main()
