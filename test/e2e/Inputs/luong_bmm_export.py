#!/usr/bin/python3
"""Luong attention for one decoder step written with torch.bmm, the way seq2seq tutorials write
it: scores = bmm(keys, q.unsqueeze(2)).squeeze(2) (dot), the same on W(keys) (general), the same
with masked_fill of a padding mask (dot_mask), and q.unsqueeze(1) @ keys^T (row); then
softmax, bmm(weights.unsqueeze(1), keys).squeeze(1); and Luong concat (concat), whose query is
expanded over the keys with torch's expand (a shape read at run time). Exported from PyTorch 1.13 at opsets 14
and 17 with dynamic batch and source length, with PyTorch's outputs for two shapes.

usage: luong_bmm_export.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

H = 16


class Dot(torch.nn.Module):
    def forward(self, q, keys):
        w = F.softmax(torch.bmm(keys, q.unsqueeze(2)).squeeze(2), dim=1)
        return torch.bmm(w.unsqueeze(1), keys).squeeze(1), w


class General(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.W = torch.nn.Linear(H, H, bias=False)

    def forward(self, q, keys):
        w = F.softmax(torch.bmm(self.W(keys), q.unsqueeze(2)).squeeze(2), dim=1)
        return torch.bmm(w.unsqueeze(1), keys).squeeze(1)


class DotMask(torch.nn.Module):
    def forward(self, q, keys, pad):
        s = torch.bmm(keys, q.unsqueeze(2)).squeeze(2).masked_fill(pad, float("-inf"))
        return torch.bmm(F.softmax(s, dim=-1).unsqueeze(1), keys).squeeze(1)


class Row(torch.nn.Module):
    def forward(self, q, keys):
        s = torch.bmm(q.unsqueeze(1), keys.transpose(1, 2)).squeeze(1)
        return torch.bmm(F.softmax(s, dim=-1).unsqueeze(1), keys).squeeze(1)


class Concat(torch.nn.Module):
    """Luong concat: v^T tanh(W [q; h] + b), the query expanded over the keys."""

    def __init__(self):
        super().__init__()
        self.W = torch.nn.Linear(2 * H, H)
        self.v = torch.nn.Linear(H, 1, bias=False)

    def forward(self, q, keys):
        expanded = q.unsqueeze(1).expand(-1, keys.size(1), -1)
        e = self.v(torch.tanh(self.W(torch.cat([expanded, keys], dim=2)))).squeeze(2)
        return torch.bmm(F.softmax(e, dim=1).unsqueeze(1), keys).squeeze(1)


def inputs(name, batch, length):
    args = [torch.randn(batch, H), torch.randn(batch, length, H)]
    if name == "dot_mask":
        lengths = torch.arange(batch) % length + 1
        args.append(torch.arange(length)[None, :] >= lengths.flip(0)[:, None])
    return args


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
for name, model in (("dot", Dot()), ("general", General()), ("dot_mask", DotMask()),
                    ("row", Row()), ("concat", Concat())):
    names = ["q", "keys", "pad"][:len(inputs(name, 2, 3))]
    axes = {"q": {0: "B"}, "keys": {0: "B", 1: "S"}, "pad": {0: "B", 1: "S"}}
    for opset in (14, 17):
        torch.onnx.export(model, tuple(inputs(name, 2, 7)),
                          os.path.join(out, "%s_%d.onnx" % (name, opset)), opset_version=opset,
                          input_names=names, dynamic_axes={n: axes[n] for n in names})
    for shape, (batch, length) in (("a", (2, 7)), ("b", (3, 4))):
        args = inputs(name, batch, length)
        with torch.no_grad():
            result = model(*args)
        results = result if isinstance(result, tuple) else (result,)
        for n, a in zip(names, args):
            np.save(os.path.join(out, "%s.%s.%s.npy" % (name, shape, n)), a.numpy())
        for i, r in enumerate(results):
            np.save(os.path.join(out, "%s.%s.out%d.npy" % (name, shape, i)), r.numpy())
