#!/usr/bin/python3
"""Trains the reverse example: a Bahdanau-attention GRU seq2seq that reverses a
sequence of 3-10 symbols over a vocabulary of 13 (0 <pad>, 1 <s>, 2 </s>, 3-12 a-j).

Run with Debian's Python (torch 1.13): /usr/bin/python3 examples/reverse/train.py
(about 2-5 minutes on one busy core). Writes, next to this file:
  weights.safetensors   the trained weights, bound by name by model.heed
  vocab.txt             one token per line (source and target share it)
  heldout.src.txt       held-out sources (never seen in training), ids per line
  heldout.tgt.txt       their reversals (the references)
  torch/greedy.txt        PyTorch's greedy decoding of heldout.src.txt (ids, no </s>)
  torch/score.txt       PyTorch's teacher-forced log-likelihood of heldout.tgt.txt + </s>
                        given heldout.src.txt: one line per sentence, the sum then
                        the per-token log-probs
  torch/score-unreversed.txt  the same for the sources themselves as targets (wrong
                        outputs: large negative log-probs)
  ref/<function>-len<S>/ inputs and outputs of encode and decode_step (batch 2, the second
                        row padded), as every example has (test/e2e/examples.test)
`train.py --refs` only rewrites torch/ and ref/ from the committed weights (seconds).
The model is the one in model.heed, written from Bahdanau et al. 2015 independently of Heed.
"""
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from safetensors_io import load_safetensors, save_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PAD, BOS, EOS, FIRST = 0, 1, 2, 3
VOCAB = 13
EMBED, HIDDEN, ATTN = 16, 32, 24
MIN_LEN, MAX_LEN = 3, 10
STEPS = int(os.environ.get("REVERSE_STEPS", "1500"))
BATCH = 64
HELDOUT = 200


class Additive(nn.Module):
    """e = v^T tanh(W_q q + (W_k h + b)); the keys W_k h + b come from encode."""

    def __init__(self, query_size, key_size):
        super().__init__()
        self.query = nn.Linear(query_size, ATTN, bias=False)
        self.key = nn.Linear(key_size, ATTN)
        self.v = nn.Parameter(torch.randn(ATTN) * 0.3)

    def forward(self, q, keys, values, lengths):
        scores = torch.tanh(self.query(q)[:, None, :] + keys) @ self.v  # [B, S]
        mask = torch.arange(scores.shape[1])[None, :] < lengths[:, None]
        alpha = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1)
        return (alpha[:, :, None] * values).sum(1), alpha


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.m = nn.ModuleDict({
            "enc_embed": nn.Embedding(VOCAB, EMBED),
            "enc_rnn": nn.GRU(EMBED, HIDDEN, batch_first=True, bidirectional=True),
            "attn": Additive(HIDDEN, 2 * HIDDEN),
            "dec_init": nn.Linear(2 * HIDDEN, HIDDEN),
            "dec_embed": nn.Embedding(VOCAB, EMBED),
            "dec_cell": nn.GRUCell(EMBED + 2 * HIDDEN, HIDDEN),
            "dec_out": nn.Linear(HIDDEN + 2 * HIDDEN + EMBED, VOCAB),
        })

    def encode(self, src, src_len):
        m = self.m
        x = m["enc_embed"](src)
        packed = nn.utils.rnn.pack_padded_sequence(x, src_len, batch_first=True,
                                                   enforce_sorted=False)
        out, h = m["enc_rnn"](packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                     total_length=src.shape[1])
        keys = m["attn"].key(memory)
        both = h.transpose(0, 1).reshape(h.shape[1], 2 * HIDDEN)
        return memory, keys, torch.tanh(m["dec_init"](both))

    def decode_step(self, prev, s, memory, keys, src_len):
        m = self.m
        context, alpha = m["attn"](s, keys, memory, src_len)
        y = m["dec_embed"](prev)
        s = m["dec_cell"](torch.cat([y, context], -1), s)
        logits = m["dec_out"](torch.cat([s, context, y], -1))
        return F.log_softmax(logits, -1), s, alpha

    def state_dict_heed(self):
        out = {}
        for key, value in self.state_dict().items():
            key = key[len("m."):]
            prefix, rest = key.split(".", 1)
            out[prefix.replace("_", ".") + "." + rest] = value
        return out


def batch(seqs):
    """Padded sources, lengths, decoder inputs (<s> + reversal), targets (reversal + </s>)."""
    n, width = len(seqs), max(len(s) for s in seqs)
    src = torch.full((n, width), PAD, dtype=torch.long)
    tin = torch.full((n, width + 1), PAD, dtype=torch.long)
    tout = torch.full((n, width + 1), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        r = s[::-1]
        src[i, :len(s)] = torch.tensor(s)
        tin[i, :len(s) + 1] = torch.tensor([BOS] + r)
        tout[i, :len(s) + 1] = torch.tensor(r + [EOS])
    return src, torch.tensor([len(s) for s in seqs]), tin, tout


def teacher_forced(model, src, src_len, tin):
    memory, keys, s = model.encode(src, src_len)
    steps = []
    for t in range(tin.shape[1]):
        logp, s, _ = model.decode_step(tin[:, t], s, memory, keys, src_len)
        steps.append(logp)
    return torch.stack(steps, 1)  # [B, T, V]


def greedy(model, src, src_len, max_len):
    memory, keys, s = model.encode(src, src_len)
    prev = torch.full((src.shape[0],), BOS, dtype=torch.long)
    out = [[] for _ in range(src.shape[0])]
    done = [False] * src.shape[0]
    for _ in range(max_len):
        logp, s, _ = model.decode_step(prev, s, memory, keys, src_len)
        prev = logp.argmax(-1)
        for i, tok in enumerate(prev.tolist()):
            if not done[i]:
                if tok == EOS:
                    done[i] = True
                else:
                    out[i].append(tok)
        if all(done):
            break
    return out


def sample(rng):
    return [rng.randrange(FIRST, VOCAB) for _ in range(rng.randint(MIN_LEN, MAX_LEN))]


def write_refs(model, heldout):
    line = lambda ids: " ".join(map(str, ids)) + "\n"
    model.eval()
    with torch.no_grad():
        hyps = greedy(model, *batch(heldout)[:2], max_len=2 * MAX_LEN + 2)
        exact = sum(h == s[::-1] for h, s in zip(hyps, heldout))
        print(f"PyTorch greedy exact match on {len(heldout)} held-out sequences: "
              f"{exact}/{len(heldout)} = {100.0 * exact / len(heldout):.1f}%")
        os.makedirs(os.path.join(HERE, "torch"), exist_ok=True)
        with open(os.path.join(HERE, "torch", "greedy.txt"), "w") as f:
            f.writelines(line(h) for h in hyps)
        for name, targets in (("score.txt", [s[::-1] for s in heldout]),
                              ("score-unreversed.txt", heldout)):
            src, src_len, _, _ = batch(heldout)
            width = max(len(t) for t in targets)
            tin = torch.full((len(targets), width + 1), PAD, dtype=torch.long)
            tout = torch.full((len(targets), width + 1), PAD, dtype=torch.long)
            for i, t in enumerate(targets):
                tin[i, :len(t) + 1] = torch.tensor([BOS] + t)
                tout[i, :len(t) + 1] = torch.tensor(t + [EOS])
            tok = teacher_forced(model, src, src_len, tin).gather(2, tout[:, :, None])[:, :, 0]
            with open(os.path.join(HERE, "torch", name), "w") as f:
                for i, t in enumerate(targets):
                    per = tok[i, :len(t) + 1].tolist()
                    f.write(f"{sum(per):.6f} " + " ".join(f"{p:.6f}" for p in per) + "\n")


def write_cases(model):
    """ref/<function>-len<S>/{in,out}.<i>.<name>.npy, as examples/make_examples.py writes them."""
    def save(function, length, inputs, outputs):
        folder = os.path.join(HERE, "ref", f"{function}-len{length}")
        os.makedirs(folder, exist_ok=True)
        for prefix, values in (("in", inputs), ("out", outputs)):
            for i, (name, value) in enumerate(values):
                np.save(os.path.join(folder, f"{prefix}.{i}.{name}.npy"),
                        np.ascontiguousarray(value.detach().numpy()))

    with torch.no_grad():
        for length in (5, 9):
            g = torch.Generator().manual_seed(length)
            src = torch.randint(FIRST, VOCAB, (2, length), generator=g)
            src_len = torch.tensor([length, length - 2])
            src[1, length - 2:] = PAD
            memory, keys, s = model.encode(src, src_len)
            save("encode", length, [("src", src), ("src_len", src_len)],
                 [("memory", memory), ("keys", keys), ("s", s)])
            prev = torch.tensor([BOS, src[0, 0].item()])
            logp, s2, alpha = model.decode_step(prev, s, memory, keys, src_len)
            save("decode_step", length,
                 [("prev", prev), ("s", s), ("memory", memory), ("keys", keys),
                  ("src_len", src_len)],
                 [("log_probs", logp), ("s", s2), ("attention", alpha)])


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    rng = random.Random(1)
    heldout = []
    while len(heldout) < HELDOUT:
        s = sample(rng)
        if s not in heldout:
            heldout.append(s)
    unseen = {tuple(s) for s in heldout}
    model = Model()
    if "--refs" in sys.argv[1:]:
        weights = load_safetensors(os.path.join(HERE, "weights.safetensors"))
        state = {}
        for key in model.state_dict():
            prefix, rest = key[len("m."):].split(".", 1)
            state[key] = weights[prefix.replace("_", ".") + "." + rest]
        model.load_state_dict(state)
        write_refs(model, heldout)
        write_cases(model)
        return
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.time()
    for step in range(1, STEPS + 1):
        seqs = []
        while len(seqs) < BATCH:
            s = sample(rng)
            if tuple(s) not in unseen:
                seqs.append(s)
        src, src_len, tin, tout = batch(seqs)
        logp = teacher_forced(model, src, src_len, tin)
        loss = F.nll_loss(logp.reshape(-1, VOCAB), tout.reshape(-1), ignore_index=PAD)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 250 == 0:
            print(f"step {step}: loss {loss.item():.4f} ({time.time() - start:.0f} s)",
                  file=sys.stderr, flush=True)

    save_safetensors(os.path.join(HERE, "weights.safetensors"), model.state_dict_heed())
    with open(os.path.join(HERE, "vocab.txt"), "w") as f:
        f.write("\n".join(["<pad>", "<s>", "</s>"] + [chr(ord("a") + i) for i in range(10)]) + "\n")
    line = lambda ids: " ".join(map(str, ids)) + "\n"
    with open(os.path.join(HERE, "heldout.src.txt"), "w") as f:
        f.writelines(line(s) for s in heldout)
    with open(os.path.join(HERE, "heldout.tgt.txt"), "w") as f:
        f.writelines(line(s[::-1]) for s in heldout)
    write_refs(model, heldout)
    write_cases(model)


if __name__ == "__main__":
    main()
