#!/usr/bin/python3
"""Exports Heed's ONNX model zoo with PyTorch (Debian's torch 1.13).

Usage: /usr/bin/python3 examples/onnx/export_zoo.py [--out=OUTDIR] [--dynamic-batch] [NAME...]
       (default OUTDIR: examples/onnx/zoo; default: every model)

For each model: OUTDIR/<name>/opset14.onnx and opset17.onnx, exported with
dynamic sequence axes (batch fixed at 2), and for two sequence lengths L
OUTDIR/<name>/L<L>/input_<i>.npy and output_<i>.npy: the inputs in graph
order and torch's outputs. Small sizes (d_model 16) keep the zoo well under
a megabyte. The weights come from a fixed seed, so a re-export reproduces
the files (up to exporter version).

--dynamic-batch also makes the batch axis of every input dynamic (the
committed zoo keeps it static); the importer must handle both.
"""

import argparse
import os

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zoo")
D, HEADS, FF, BATCH = 16, 2, 32, 2
LENGTHS = (5, 9)
OPSETS = (14, 17)


def causal_mask(length):
    """Float causal mask, as nn.Transformer.generate_square_subsequent_mask."""
    return torch.triu(torch.full((length, length), float("-inf")), diagonal=1)


def padding_mask(length):
    """[B, L] bool, True = padding; row 1 pads its last two keys (never all)."""
    mask = torch.zeros(BATCH, length, dtype=torch.bool)
    mask[1, -2:] = True
    return mask


class MhaPadding(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(D, HEADS)

    def forward(self, q, kv, key_padding_mask):
        out, weights = self.mha(q, kv, kv, key_padding_mask=key_padding_mask)
        return out, weights


class MhaCausal(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(D, HEADS)

    def forward(self, x):
        mask = torch.triu(torch.full((x.shape[0], x.shape[0]), float("-inf")), diagonal=1)
        out, _ = self.mha(x, x, x, attn_mask=mask, need_weights=False)
        return out


class EncoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0)

    def forward(self, src, src_key_padding_mask):
        return self.layer(src, src_key_padding_mask=src_key_padding_mask)


class DecoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.0)

    def forward(self, tgt, memory):
        mask = torch.triu(torch.full((tgt.shape[0], tgt.shape[0]), float("-inf")), diagonal=1)
        return self.layer(tgt, memory, tgt_mask=mask)


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Transformer(D, HEADS, num_encoder_layers=1, num_decoder_layers=1,
                                    dim_feedforward=FF, dropout=0.0)

    def forward(self, src, tgt):
        mask = torch.triu(torch.full((tgt.shape[0], tgt.shape[0]), float("-inf")), diagonal=1)
        return self.model(src, tgt, tgt_mask=mask)


class Recurrent(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        self.rnn = cls(8, D, num_layers=2, bidirectional=True)

    def forward(self, x, h0, *c0):
        if self.kind == "lstm":
            y, (h, c) = self.rnn(x, (h0, c0[0]))
            return y, h, c
        y, h = self.rnn(x, h0)
        return y, h


class Embedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, D)

    def forward(self, ids):
        return self.emb(ids)


class Bahdanau(nn.Module):
    """Additive attention of one decoder state over encoder states."""

    def __init__(self):
        super().__init__()
        self.w_q = nn.Linear(D, D, bias=False)
        self.w_k = nn.Linear(D, D)
        self.v = nn.Linear(D, 1, bias=False)

    def forward(self, query, keys, mask):
        # query [B, D], keys [B, S, D], mask [B, S] bool (True = keep)
        scores = self.v(torch.tanh(self.w_q(query).unsqueeze(1) + self.w_k(keys))).squeeze(2)
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights.unsqueeze(1), keys).squeeze(1)
        return context, weights


class Luong(nn.Module):
    """Luong 'general' attention of every decoder state over encoder states."""

    def __init__(self):
        super().__init__()
        self.w_a = nn.Linear(D, D, bias=False)
        self.w_c = nn.Linear(2 * D, D, bias=False)

    def forward(self, queries, keys):
        # queries [B, T, D], keys [B, S, D]
        scores = torch.bmm(queries, self.w_a(keys).transpose(1, 2))
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return torch.tanh(self.w_c(torch.cat([context, queries], dim=-1))), weights


class BatchFirst(nn.Module):
    """batch_first=True throughout: encoder layer, MHA returning weights, LSTM."""

    def __init__(self):
        super().__init__()
        self.enc = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
        self.mha = nn.MultiheadAttention(D, HEADS, batch_first=True)
        self.lstm = nn.LSTM(D, D // 2, batch_first=True, bidirectional=True)

    def forward(self, x, key_padding_mask):
        y = self.enc(x, src_key_padding_mask=key_padding_mask)
        a, weights = self.mha(y, y, y, key_padding_mask=key_padding_mask)
        out, _ = self.lstm(a)
        return out, weights


def randn(*shape):
    return torch.randn(*shape)


# name -> (module factory, input names, dynamic axes, inputs for length L)
ZOO = {
    "mha_padding": (MhaPadding, ["q", "kv", "key_padding_mask"],
                    {"q": {0: "L"}, "kv": {0: "S"}, "key_padding_mask": {1: "S"}},
                    lambda L: (randn(L, BATCH, D), randn(L + 2, BATCH, D), padding_mask(L + 2))),
    "mha_causal": (MhaCausal, ["x"], {"x": {0: "L"}},
                   lambda L: (randn(L, BATCH, D),)),
    "encoder_layer": (EncoderLayer, ["src", "src_key_padding_mask"],
                      {"src": {0: "S"}, "src_key_padding_mask": {1: "S"}},
                      lambda L: (randn(L, BATCH, D), padding_mask(L))),
    "decoder_layer": (DecoderLayer, ["tgt", "memory"], {"tgt": {0: "T"}, "memory": {0: "S"}},
                      lambda L: (randn(L, BATCH, D), randn(L + 1, BATCH, D))),
    "transformer": (Transformer, ["src", "tgt"], {"src": {0: "S"}, "tgt": {0: "T"}},
                    lambda L: (randn(L + 1, BATCH, D), randn(L, BATCH, D))),
    "lstm": (lambda: Recurrent("lstm"), ["x", "h0", "c0"], {"x": {0: "T"}},
             lambda L: (randn(L, BATCH, 8), randn(4, BATCH, D), randn(4, BATCH, D))),
    "gru": (lambda: Recurrent("gru"), ["x", "h0"], {"x": {0: "T"}},
            lambda L: (randn(L, BATCH, 8), randn(4, BATCH, D))),
    "rnn": (lambda: Recurrent("rnn"), ["x", "h0"], {"x": {0: "T"}},
            lambda L: (randn(L, BATCH, 8), randn(4, BATCH, D))),
    "batch_first": (BatchFirst, ["x", "key_padding_mask"],
                    {"x": {1: "S"}, "key_padding_mask": {1: "S"}},
                    lambda L: (randn(BATCH, L, D), padding_mask(L))),
    "embedding": (Embedding, ["ids"], {"ids": {1: "S"}},
                  lambda L: (torch.randint(0, 50, (BATCH, L)),)),
    "bahdanau": (Bahdanau, ["query", "keys", "mask"], {"keys": {1: "S"}, "mask": {1: "S"}},
                 lambda L: (randn(BATCH, D), randn(BATCH, L, D), ~padding_mask(L))),
    "luong": (Luong, ["queries", "keys"], {"queries": {1: "T"}, "keys": {1: "S"}},
              lambda L: (randn(BATCH, L, D), randn(BATCH, L + 3, D))),
}


def export(name, dynamic_batch=False):
    factory, input_names, axes, make_inputs = ZOO[name]
    if dynamic_batch:
        axes = {k: dict(v) for k, v in axes.items()}
        for input_name, x in zip(input_names, make_inputs(LENGTHS[0])):
            batch_axes = [i for i, d in enumerate(x.shape) if d == BATCH]
            if batch_axes:
                axes.setdefault(input_name, {})[batch_axes[0]] = "B"
    torch.manual_seed(sum(map(ord, name)))
    module = factory().eval()
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    example = make_inputs(LENGTHS[0])
    with torch.no_grad():
        outputs = module(*example)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    output_names = ["output_%d" % i for i in range(len(outputs))]
    for opset in OPSETS:
        torch.onnx.export(module, example, os.path.join(directory, "opset%d.onnx" % opset),
                          input_names=input_names, output_names=output_names,
                          dynamic_axes=axes, opset_version=opset, do_constant_folding=True)
    for length in LENGTHS:
        sub = os.path.join(directory, "L%d" % length)
        os.makedirs(sub, exist_ok=True)
        inputs = make_inputs(length)
        with torch.no_grad():
            outputs = module(*inputs)
        if isinstance(outputs, torch.Tensor):
            outputs = (outputs,)
        for i, x in enumerate(inputs):
            np.save(os.path.join(sub, "input_%d.npy" % i), x.numpy())
        for i, y in enumerate(outputs):
            np.save(os.path.join(sub, "output_%d.npy" % i), y.numpy())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Exports Heed's ONNX model zoo")
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--dynamic-batch", action="store_true")
    parser.add_argument("names", nargs="*", choices=[[]] + list(ZOO))
    args = parser.parse_args()
    OUT = args.out
    for name in args.names or list(ZOO):
        export(name, args.dynamic_batch)
        print("exported", name)
