"""A second Transformer with the other common choices: sequence-first layers (batch_first=False,
what nn.Transformer defaults to), post-norm (norm_first=False), learned positions indexed by
torch.arange over the dynamic length, the generator tied to the target embedding, an encoder that
takes source lengths [B] (the padding mask is built in the graph), and a prefix decoder that returns
log-probabilities (log_probs, no log-softmax added by Heed) and takes the same `src_lengths`.
"""

import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import common

D, HEADS, LAYERS, FF, MAXLEN = 32, 4, 2, 64, 64


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_emb = nn.Embedding(common.VOCAB, D)
        self.tgt_emb = nn.Embedding(common.VOCAB, D)
        self.pos = nn.Embedding(MAXLEN, D)
        self.transformer = nn.Transformer(D, HEADS, LAYERS, LAYERS, FF, dropout=0.0)

    def embed(self, emb, ids):
        positions = torch.arange(ids.size(1), device=ids.device)
        return (emb(ids) * math.sqrt(D) + self.pos(positions)).transpose(0, 1)  # [L, B, D]

    @staticmethod
    def padding(src_lengths, S):
        return torch.arange(S)[None, :] >= src_lengths[:, None]  # True = pad

    def encode(self, src, src_lengths):
        pad = self.padding(src_lengths, src.size(1))
        return self.transformer.encoder(self.embed(self.src_emb, src), src_key_padding_mask=pad)

    def decode(self, tgt, memory, src_lengths):
        T = tgt.size(1)
        causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        pad = self.padding(src_lengths, memory.size(0))
        h = self.transformer.decoder(self.embed(self.tgt_emb, tgt), memory, tgt_mask=causal,
                                     memory_key_padding_mask=pad)
        return F.log_softmax(F.linear(h.transpose(0, 1), self.tgt_emb.weight), dim=-1)


class Encoder(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, src, src_lengths):
        return self.m.encode(src, src_lengths)


class Decoder(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, tgt, memory, src_lengths):
        return self.m.decode(tgt, memory, src_lengths)


def train(seed=0, steps=400):
    torch.manual_seed(seed)
    m = Model()
    opt = torch.optim.Adam(m.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        src, mask, tgt_in, tgt_out = common.reversal_batch(g, 64)
        logp = m.decode(tgt_in, m.encode(src, mask.sum(1)), mask.sum(1))
        loss = F.nll_loss(logp.reshape(-1, common.VOCAB), tgt_out.reshape(-1),
                          ignore_index=common.PAD)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print("  train step %d loss %.4f" % (step, float(loss)))
    return m.eval()


def trained(directory):
    path = os.path.join(directory, "transformer_b.pt")
    m = Model()
    if os.path.exists(path):
        m.load_state_dict(torch.load(path))
        return m.eval()
    m = train()
    torch.save(m.state_dict(), path)
    return m


def export(m, directory, opset):
    """Names of my own: src, src_lengths -> memory [S, B, D] (sequence first: the batch is dim 1);
    tgt [B, T], memory, src_lengths -> log_probs [B, T, V]."""
    enc_path = os.path.join(directory, "b-encoder-%d.onnx" % opset)
    dec_path = os.path.join(directory, "b-prefix-decoder-%d.onnx" % opset)
    src = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 0]])
    lengths = torch.tensor([4, 3])
    with torch.no_grad():
        memory = m.encode(src, lengths)
    torch.onnx.export(Encoder(m), (src, lengths), enc_path, opset_version=opset,
                      input_names=["src", "src_lengths"], output_names=["memory"],
                      dynamic_axes={"src": {0: "batch", 1: "src_len"}, "src_lengths": {0: "batch"},
                                    "memory": {0: "src_len", 1: "batch"}})
    torch.onnx.export(Decoder(m), (torch.tensor([[1, 8, 7], [1, 11, 10]]), memory, lengths),
                      dec_path, opset_version=opset,
                      input_names=["tgt", "memory", "src_lengths"], output_names=["log_probs"],
                      dynamic_axes={"tgt": {0: "batch", 1: "tgt_len"},
                                    "memory": {0: "src_len", 1: "batch"},
                                    "src_lengths": {0: "batch"},
                                    "log_probs": {0: "batch", 1: "tgt_len"}})
    return enc_path, dec_path


def torch_step(m, src):
    ids = torch.tensor([src])
    lengths = torch.tensor([len(src)])
    with torch.no_grad():
        memory = m.encode(ids, lengths)

    def step(tokens):
        with torch.no_grad():
            return m.decode(torch.tensor([tokens]), memory, lengths)[0, -1]
    return step
