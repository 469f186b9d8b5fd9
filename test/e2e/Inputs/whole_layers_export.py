#!/usr/bin/python3
"""Whole layers as users export them (PyTorch 1.13, opset 14 as bench/exports.py, dynamic batch and
lengths), every parameter random so that no bias is zero and no layer norm is the identity, with
PyTorch's outputs at two shapes:

  mha_pad       nn.MultiheadAttention(batch_first) with a key padding mask: the packed in-projection
                with its bias, the out-projection
  encoder       nn.TransformerEncoderLayer(batch_first) with src_key_padding_mask: the FFN's
                MatMul + Add + Relu, residual adds and layer norms
  decoder       nn.TransformerDecoderLayer(batch_first), causal tgt_mask and
                memory_key_padding_mask: the cross-attention's K/V rows of the packed weight
  masked_fill   softmax((q k^T) * q.size(-1) ** -0.5 masked_fill(pad[:, None, None, :], -inf)) v

usage: whole_layers_export.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

D, HEADS, FF = 32, 4, 64


class Mha(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(D, HEADS, batch_first=True)

    def forward(self, x, pad):
        return self.attn(x, x, x, key_padding_mask=pad, need_weights=False)[0]


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)

    def forward(self, x, pad):
        return self.layer(x, src_key_padding_mask=pad)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)

    def forward(self, y, memory, memory_pad):
        T = y.size(1)
        causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        return self.layer(y, memory, tgt_mask=causal, memory_key_padding_mask=memory_pad)


class MaskedFill(nn.Module):
    def forward(self, q, k, v, pad):
        scores = torch.matmul(q, k.transpose(-2, -1)) * (q.size(-1) ** -0.5)
        scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
        return torch.matmul(scores.softmax(-1), v)


def padding(batch, length):
    """Row b ends b positions early (row 0 is whole, so no row is fully masked)."""
    lengths = length - torch.arange(batch) % length
    return torch.arange(length)[None, :] >= lengths[:, None]


def make(name, batch, length):
    """(model inputs, input names, dynamic axes)."""
    seq = {0: "B", 1: "L"}
    if name == "decoder":
        return ((torch.randn(batch, length, D), torch.randn(batch, length + 3, D),
                 padding(batch, length + 3)), ["y", "memory", "memory_pad"],
                {"y": seq, "memory": {0: "B", 1: "S"}, "memory_pad": {0: "B", 1: "S"}})
    if name == "masked_fill":
        qkv = [torch.randn(batch, HEADS, length, D // HEADS) for _ in range(3)]
        return ((*qkv, padding(batch, length)), ["q", "k", "v", "pad"],
                {**{n: {0: "B", 2: "L"} for n in "qkv"}, "pad": seq})
    return (torch.randn(batch, length, D), padding(batch, length)), ["x", "pad"], {"x": seq,
                                                                                 "pad": seq}


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
models = {"mha_pad": Mha(), "encoder": Encoder(), "decoder": Decoder(), "masked_fill": MaskedFill()}
for name, model in models.items():
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-0.5, 0.5)
    model.eval()
    args, names, axes = make(name, 2, 6)
    torch.onnx.export(model, args, os.path.join(out, name + ".onnx"), opset_version=14,
                      input_names=names, output_names=["out"],
                      dynamic_axes={**axes, "out": {0: "B"}})
    for shape, (batch, length) in (("a", (2, 6)), ("b", (3, 11))):
        args, names, _ = make(name, batch, length)
        with torch.no_grad():
            result = model(*args)
        for n, a in zip(names, args):
            np.save(os.path.join(out, "%s.%s.%s.npy" % (name, shape, n)), a.numpy())
        np.save(os.path.join(out, "%s.%s.out.npy" % (name, shape)), result.numpy())
