#!/usr/bin/python3
"""Trains the four models of the comparison on the same reversal task and writes what
evaluate.py and test/decode/compare.test read.

Run with Debian's Python (torch 1.13), from anywhere:
    nice -n 10 /usr/bin/python3 examples/compare/train.py [MODEL...]
(MODEL: seq2seq bahdanau luong transformer; default all, one after the other, one thread).
Writes, next to this file:
  vocab.txt                 <pad> <s> </s> a-j (source and target share it)
  test.src.txt, test.tgt.txt  the fixed test set: TEST_PER_LENGTH sequences of each length in
                            TEST_LENGTHS (never drawn in training) and their reversals
  slice.src.txt, slice.tgt.txt  a few of them, for the lit test
  MODEL/weights.safetensors the trained weights, bound by name by MODEL/model.heed
  MODEL/torch/greedy.txt    PyTorch's greedy decoding of test.src.txt (what heed-run translate
                            must print, token for token)
  MODEL/torch/slice.txt     the same for slice.src.txt
  MODEL/torch/train.log     steps, loss, seconds
`train.py --refs [MODEL...]` only rewrites the torch/ outputs from the committed weights.
"""
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models as M  # noqa: E402

TRAIN_MIN, TRAIN_MAX = 2, 20            # source lengths drawn in training, uniformly
TEST_LENGTHS = list(range(4, 21, 2)) + [24, 28]   # 24 and 28: longer than any trained on
TEST_PER_LENGTH = 100
SLICE = (4, 8, 12, 16, 20, 24)           # 2 test sentences of each of these lengths
BATCH = 64
LR = 3e-3                                # Adam's peak rate, for every model
STEPS = {"seq2seq": 1500, "bahdanau": 800, "luong": 800, "transformer": 1500}
SEEDS = {"seq2seq": 11, "bahdanau": 12, "luong": 13, "transformer": 14}


def test_set():
    rng = random.Random(1)
    out = []
    for length in TEST_LENGTHS:
        seen = set()
        while len(seen) < TEST_PER_LENGTH:
            s = tuple(M.sample(rng, length, length))
            if s not in seen:
                seen.add(s)
                out.append(list(s))
    return out


def slice_of(test):
    return [s for n in SLICE for s in [t for t in test if len(t) == n][:2]]


def load(model):
    weights = M.load_safetensors(os.path.join(HERE, model.name, "weights.safetensors"))
    model.load_state_dict(weights)
    return model


def greedy_all(model, sources, batch_size=100):
    out = []
    with torch.no_grad():
        for i in range(0, len(sources), batch_size):
            part = sources[i:i + batch_size]
            out += model.greedy(M.pad(part), torch.tensor([len(s) for s in part]))
    return out


def check_teacher_forcing(model, sources):
    """The training path (teacher_forced) and the decoding path (step, as model.heed runs it)
    give the same log-probs."""
    src, src_len, tin, _ = M.batch(sources)
    with torch.no_grad():
        fast = model.teacher_forced(src, src_len, tin)
        slow = M.Model.teacher_forced(model, src, src_len, tin)
    err = (fast - slow).abs().max().item()
    assert err < 1e-4, f"{model.name}: teacher forcing and stepping differ by {err}"


def write_refs(model, test):
    folder = os.path.join(HERE, model.name, "torch")
    os.makedirs(folder, exist_ok=True)
    model.eval()
    check_teacher_forcing(model, test[::97])
    hyps = greedy_all(model, test)
    M.write_ids(os.path.join(folder, "greedy.txt"), hyps)
    M.write_ids(os.path.join(folder, "slice.txt"), greedy_all(model, slice_of(test)))
    exact = {}
    for s, h in zip(test, hyps):
        exact.setdefault(len(s), []).append(h == s[::-1])
    print(model.name + ": PyTorch greedy exact match by length: " +
          " ".join(f"{n}:{100.0 * sum(v) / len(v):.0f}%" for n, v in sorted(exact.items())),
          flush=True)


def train(model, test, log):
    name = model.name
    torch.manual_seed(SEEDS[name])
    rng = random.Random(SEEDS[name])
    unseen = {tuple(s) for s in test}
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    steps = int(os.environ.get("COMPARE_STEPS", STEPS[name]))
    # Linear warm-up over the first 10% (the Transformer needs it), then a linear decay to 10%.
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min((k + 1) / warm, 1.0 - 0.9 * max(0, k - warm) / max(1, steps - warm)))
    start = time.time()
    model.train()
    for step in range(1, steps + 1):
        seqs = []
        while len(seqs) < BATCH:
            s = M.sample(rng, TRAIN_MIN, TRAIN_MAX)
            if tuple(s) not in unseen:
                seqs.append(s)
        src, src_len, tin, tout = M.batch(seqs)
        logp = model.teacher_forced(src, src_len, tin)
        loss = F.nll_loss(logp.reshape(-1, M.VOCAB), tout.reshape(-1), ignore_index=M.PAD)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps:
            line = f"{name} step {step}/{steps}: loss {loss.item():.4f} ({time.time() - start:.0f} s)"
            print(line, file=sys.stderr, flush=True)
            log.write(line + "\n")
    return time.time() - start


def main():
    torch.set_num_threads(1)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    refs_only = "--refs" in sys.argv[1:]
    chosen = [cls for cls in M.MODELS if not args or cls.name in args]
    unknown = set(args) - {cls.name for cls in M.MODELS}
    if unknown:
        sys.exit(f"train.py: error: unknown model(s) {', '.join(sorted(unknown))}; "
                 f"expected {', '.join(cls.name for cls in M.MODELS)}")
    test = test_set()
    with open(os.path.join(HERE, "vocab.txt"), "w") as f:
        f.write("\n".join(["<pad>", "<s>", "</s>"] +
                          [chr(ord("a") + i) for i in range(M.SYMBOLS)]) + "\n")
    M.write_ids(os.path.join(HERE, "test.src.txt"), test)
    M.write_ids(os.path.join(HERE, "test.tgt.txt"), [s[::-1] for s in test])
    M.write_ids(os.path.join(HERE, "slice.src.txt"), slice_of(test))
    M.write_ids(os.path.join(HERE, "slice.tgt.txt"), [s[::-1] for s in slice_of(test)])
    for cls in chosen:
        if refs_only:
            model = load(cls())
        else:
            torch.manual_seed(SEEDS[cls.name])
            model = cls()
            os.makedirs(os.path.join(HERE, cls.name, "torch"), exist_ok=True)
            with open(os.path.join(HERE, cls.name, "torch", "train.log"), "w") as log:
                seconds = train(model, test, log)
                log.write(f"trained in {seconds:.0f} s\n")
            M.save_safetensors(os.path.join(HERE, cls.name, "weights.safetensors"),
                               model.state_dict())
        write_refs(model, test)


if __name__ == "__main__":
    main()
