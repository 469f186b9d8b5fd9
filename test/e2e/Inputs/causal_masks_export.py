#!/usr/bin/python3
"""Causal masks as PyTorch users pass them to nn.MultiheadAttention and the Transformer layers,
exported from PyTorch 1.13 (opset 17, dynamic lengths and batch; mha_bool_triu also at a static
shape, where torch folds the mask into a constant), with PyTorch's outputs at two lengths:

  mha_float_triu  attn_mask = triu(full((L, L), -inf), 1)             (float, the tutorials')
  mha_bool_triu   attn_mask = torch.ones(L, L).triu(1).bool()          (bool, True = masked)
  mha_bool_tril   attn_mask = ~torch.tril(torch.ones(L, L, dtype=bool))
  mha_finfo       batch_first, masked_fill(zeros, triu(ones, 1), finfo.min)
  mha_causal_pad  generate_square_subsequent_mask(L) and a key_padding_mask
  dec_layer       nn.TransformerDecoderLayer, tgt_mask from generate_square_subsequent_mask,
                  memory_key_padding_mask

L is read from x (x.size(0) or x.size(1)) in every one.

usage: causal_masks_export.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

D, HEADS = 32, 4


def triu_float(L):
    return torch.triu(torch.full((L, L), float("-inf")), diagonal=1)


class Mha(nn.Module):
    def __init__(self, mask, batch_first=False, padded=False):
        super().__init__()
        self.mha = nn.MultiheadAttention(D, HEADS, batch_first=batch_first)
        self.mask, self.batch_first, self.padded = mask, batch_first, padded

    def forward(self, x, *pad):
        L = x.size(1 if self.batch_first else 0)
        return self.mha(x, x, x, attn_mask=self.mask(L),
                        key_padding_mask=pad[0] if pad else None, need_weights=False)[0]


class DecoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(D, HEADS, 64, dropout=0.0)

    def forward(self, tgt, memory, memory_pad):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(0))
        return self.layer(tgt, memory, tgt_mask=mask, memory_key_padding_mask=memory_pad)


def padding(batch, length):
    lengths = torch.arange(batch) % length
    return torch.arange(length)[None, :] >= (length - lengths)[:, None]


def make(name, batch, length):
    """(model inputs, input names, dynamic axes)."""
    x = torch.randn(batch, length, D) if name == "mha_finfo" else torch.randn(length, batch, D)
    seq = {0: "B", 1: "L"} if name == "mha_finfo" else {0: "L", 1: "B"}
    if name == "mha_causal_pad":
        return (x, padding(batch, length)), ["x", "pad"], {"x": seq, "pad": {0: "B", 1: "L"}}
    if name == "dec_layer":
        memory = torch.randn(length + 2, batch, D)
        return ((x, memory, padding(batch, length + 2)), ["tgt", "memory", "memory_pad"],
                {"tgt": seq, "memory": {0: "S", 1: "B"}, "memory_pad": {0: "B", 1: "S"}})
    return (x,), ["x"], {"x": seq}


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
models = {
    "mha_float_triu": Mha(triu_float),
    "mha_bool_triu": Mha(lambda L: torch.ones(L, L).triu(1).bool()),
    "mha_bool_tril": Mha(lambda L: ~torch.tril(torch.ones(L, L, dtype=torch.bool))),
    "mha_finfo": Mha(lambda L: torch.zeros(L, L).masked_fill(
        torch.ones(L, L, dtype=torch.bool).triu(1), torch.finfo(torch.float32).min),
        batch_first=True),
    "mha_causal_pad": Mha(lambda L: nn.Transformer.generate_square_subsequent_mask(L),
                          padded=True),
    "dec_layer": DecoderLayer(),
}
for name, model in models.items():
    model.eval()
    args, names, axes = make(name, 2, 6)
    torch.onnx.export(model, args, os.path.join(out, name + ".onnx"), opset_version=17,
                      input_names=names, dynamic_axes=axes)
    if name == "mha_bool_triu":
        torch.onnx.export(model, args, os.path.join(out, name + "_static.onnx"),
                          opset_version=17, input_names=names)
    for shape, (batch, length) in (("a", (2, 6)), ("b", (3, 11))):
        args, names, _ = make(name, batch, length)
        with torch.no_grad():
            result = model(*args)
        for n, a in zip(names, args):
            np.save(os.path.join(out, "%s.%s.%s.npy" % (name, shape, n)), a.numpy())
        np.save(os.path.join(out, "%s.%s.out.npy" % (name, shape)), result.numpy())
