#!/usr/bin/python3
"""A GRU encoder and a Bahdanau GRU decoder step in PyTorch, exported as two ONNX graphs the way a
PyTorch user exports an encoder-decoder (random weights, seeded), plus the reference: PyTorch's own
greedy loop over the same modules, one sentence at a time, and its log-likelihoods of given targets.

usage: export_gru_bahdanau.py OUT_DIR

Writes encoder.onnx (input_ids, attention_mask [B, S] -> memory, keys, hidden), decoder.onnx
(input_ids [B, 1], hidden, memory, keys, attention_mask -> logits [B, V], new_hidden, attention:
the state is renamed, so compiling needs --bind=new_hidden:hidden), src.txt, tgt.txt,
torch_greedy.txt (token ids per line, </s> not printed) and torch_scores.txt (per tgt line: the
log-likelihood after its source, then each token's log-prob, </s>'s last), as heed-run prints them. Decoding as docs/decoding.md: <s> = 1, </s> = 2,
at most 2 * source length + 10 tokens counting </s>.
"""
import os
import sys

import torch
import torch.nn as nn

V, E, H, A = 24, 16, 32, 24
BOS, EOS = 1, 2


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.gru = nn.GRU(E, H, batch_first=True)
        self.key = nn.Linear(H, A)
        self.init = nn.Linear(H, H)

    def forward(self, input_ids, attention_mask):
        memory, _ = self.gru(self.embed(input_ids))  # left to right: pads after a row's end
        mask = attention_mask.unsqueeze(-1).to(memory.dtype)
        mean = (memory * mask).sum(1) / mask.sum(1)
        return memory, self.key(memory), torch.tanh(self.init(mean))


class DecoderStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.query = nn.Linear(H, A, bias=False)
        self.v = nn.Linear(A, 1, bias=False)
        self.cell = nn.GRUCell(E + H, H)
        self.out = nn.Linear(2 * H, V)

    def forward(self, input_ids, hidden, memory, keys, attention_mask):
        y = self.embed(input_ids[:, 0])
        e = self.v(torch.tanh(keys + self.query(hidden).unsqueeze(1))).squeeze(-1)
        e = e.masked_fill(attention_mask == 0, float("-inf"))
        a = torch.softmax(e, dim=-1)
        context = torch.bmm(a.unsqueeze(1), memory).squeeze(1)
        new_hidden = self.cell(torch.cat([y, context], -1), hidden)
        return self.out(torch.cat([new_hidden, context], -1)), new_hidden, a


def greedy(enc, dec, src):
    ids = torch.tensor([src])
    mask = torch.ones_like(ids)
    memory, keys, hidden = enc(ids, mask)
    prev, out = BOS, []
    for _ in range(2 * len(src) + 10):
        logits, hidden, _ = dec(torch.tensor([[prev]]), hidden, memory, keys, mask)
        prev = int(logits.log_softmax(-1).argmax(-1))
        if prev == EOS:
            break
        out.append(prev)
    return out


def score(enc, dec, src, tgt):
    ids = torch.tensor([src])
    mask = torch.ones_like(ids)
    memory, keys, hidden = enc(ids, mask)
    prev, lps = BOS, []
    for token in tgt + [EOS]:
        logits, hidden, _ = dec(torch.tensor([[prev]]), hidden, memory, keys, mask)
        lps.append(float(logits.log_softmax(-1)[0, token]))
        prev = token
    return [sum(lps)] + lps


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    enc, dec = Encoder().eval(), DecoderStep().eval()
    ids = torch.randint(3, V, (2, 5))
    mask = torch.ones(2, 5, dtype=torch.int64)
    torch.onnx.export(enc, (ids, mask), os.path.join(out, "encoder.onnx"), opset_version=14,
                      input_names=["input_ids", "attention_mask"],
                      output_names=["memory", "keys", "hidden"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "src_len"},
                                    "attention_mask": {0: "batch", 1: "src_len"},
                                    "memory": {0: "batch", 1: "src_len"},
                                    "keys": {0: "batch", 1: "src_len"}, "hidden": {0: "batch"}})
    memory, keys, hidden = enc(ids, mask)
    torch.onnx.export(dec, (torch.tensor([[BOS], [BOS]]), hidden, memory, keys, mask),
                      os.path.join(out, "decoder.onnx"), opset_version=14,
                      input_names=["input_ids", "hidden", "memory", "keys", "attention_mask"],
                      output_names=["logits", "new_hidden", "attention"],
                      dynamic_axes={"input_ids": {0: "batch"}, "hidden": {0: "batch"},
                                    "memory": {0: "batch", 1: "src_len"},
                                    "keys": {0: "batch", 1: "src_len"},
                                    "attention_mask": {0: "batch", 1: "src_len"},
                                    "logits": {0: "batch"}, "new_hidden": {0: "batch"},
                                    "attention": {0: "batch", 1: "src_len"}})
    g = torch.Generator().manual_seed(3)
    sources = [torch.randint(3, V, (int(n),), generator=g).tolist()
               for n in torch.randint(2, 9, (12,), generator=g)]
    targets = [list(reversed(s)) for s in sources]
    with torch.no_grad():
        hyps = [greedy(enc, dec, s) for s in sources]
        scores = [score(enc, dec, s, t) for s, t in zip(sources, targets)]
    write = lambda name, lines: open(os.path.join(out, name), "w").write("".join(l + "\n" for l in lines))
    write("src.txt", [" ".join(map(str, s)) for s in sources])
    write("tgt.txt", [" ".join(map(str, t)) for t in targets])
    write("torch_greedy.txt", [" ".join(map(str, h)) for h in hyps])
    write("torch_scores.txt", [" ".join(f"{v:.6f}" for v in s) for s in scores])


if __name__ == "__main__":
    main()
