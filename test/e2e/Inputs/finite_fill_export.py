#!/usr/bin/python3
"""Attention masked with a finite fill, as tutorials write it: masked_fill(mask == 0, -1e9).
- annotated: the Annotated Transformer's attention (scores / sqrt(d), masked_fill(mask == 0,
  -1e9), softmax, @ v), mask [B, 1, 1, S] from lengths;
- prescaled: the fill before the scale (masked_fill(-1e4) of q k^T, then / sqrt(d)): the hidden
  keys score -1e4 / sqrt(d);
- keras_bahdanau: the Keras tutorial's Bahdanau ported (column scores [B, S, 1] with the Dense(1)
  bias, masked_fill(mask.unsqueeze(-1) == 0, -1e9), softmax over axis 1, sum(weights * values)).
The last batch row has length 0: every key hidden, so each of its rows gets uniform weights over
all keys (the decomposed graph's result, which a -inf mask would not give). Exported from
PyTorch 1.13 at opsets 14 and 17 with dynamic batch and length, with PyTorch's outputs for two
shapes.

usage: finite_fill_export.py OUT_DIR
"""
import math
import os
import sys

import numpy as np
import torch

D = 16


class Annotated(torch.nn.Module):
    def forward(self, q, k, v, mask):
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.size(-1))
        scores = scores.masked_fill(mask == 0, -1e9)
        return torch.matmul(torch.softmax(scores, dim=-1), v)


class Prescaled(torch.nn.Module):
    def forward(self, q, k, v, mask):
        scores = torch.matmul(q, k.transpose(-2, -1)).masked_fill(mask == 0, -1e4)
        return torch.matmul(torch.softmax(scores / math.sqrt(q.size(-1)), dim=-1), v)


class KerasBahdanau(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.W1 = torch.nn.Linear(D, 12)
        self.W2 = torch.nn.Linear(D, 12)
        self.V = torch.nn.Linear(12, 1)

    def forward(self, query, values, mask):
        score = self.V(torch.tanh(self.W1(values) + self.W2(query).unsqueeze(1)))
        score = score.masked_fill(mask.unsqueeze(-1) == 0, -1e9)
        weights = torch.softmax(score, dim=1)
        return torch.sum(weights * values, dim=1), weights


def mask(batch, length, rank4):
    lengths = [length - i for i in range(batch - 1)] + [0]
    m = torch.tensor([[1 if j < n else 0 for j in range(length)] for n in lengths])
    return m[:, None, None, :] if rank4 else m


def inputs(name, batch, length):
    if name == "keras_bahdanau":
        return (torch.randn(batch, D), torch.randn(batch, length, D), mask(batch, length, False))
    return tuple(torch.randn(batch, 2, length, D) for _ in range(3)) + (mask(batch, length, True),)


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
models = {"annotated": Annotated(), "prescaled": Prescaled(), "keras_bahdanau": KerasBahdanau()}
for name, model in models.items():
    if name == "keras_bahdanau":
        names = ["query", "values", "mask"]
        axes = {"query": {0: "B"}, "values": {0: "B", 1: "S"}, "mask": {0: "B", 1: "S"}}
    else:
        names = ["q", "k", "v", "mask"]
        axes = {**{n: {0: "B", 2: "S"} for n in "qkv"}, "mask": {0: "B", 3: "S"}}
    for opset in (14, 17):
        torch.onnx.export(model, inputs(name, 2, 5), os.path.join(out, "%s_%d.onnx" % (name, opset)),
                          opset_version=opset, input_names=names, dynamic_axes=axes)
    for shape, (batch, length) in (("a", (2, 5)), ("b", (3, 9))):
        args = inputs(name, batch, length)
        with torch.no_grad():
            results = model(*args)
        results = results if isinstance(results, tuple) else (results,)
        for i, a in enumerate(args):
            np.save(os.path.join(out, "%s.%s.in%d.npy" % (name, shape, i)), a.numpy())
        for i, r in enumerate(results):
            np.save(os.path.join(out, "%s.%s.out%d.npy" % (name, shape, i)), r.numpy())
