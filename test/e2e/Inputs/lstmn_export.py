#!/usr/bin/python3
"""LSTMN intra-attention (Cheng et al. 2016) for one step, as PyTorch users write it:
a = softmax(v^T tanh(W_h h_i + W_x x_t + W_t h~_{t-1})) over the previous hidden states h_i,
context = sum_i a_i h_i; the query side is a SUM of two projections (W_x with its bias, W_t
without). Exported from PyTorch 1.13 at opsets 14 and 17 with dynamic batch and history length,
with PyTorch's outputs for two shapes.

usage: lstmn_export.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch

H = 16


class IntraAttention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.Wh = torch.nn.Linear(H, H, bias=False)
        self.Wx = torch.nn.Linear(H, H)
        self.Wt = torch.nn.Linear(H, H, bias=False)
        self.v = torch.nn.Linear(H, 1, bias=False)

    def forward(self, x, hist, ht):
        query = self.Wx(x) + self.Wt(ht)
        e = self.v(torch.tanh(self.Wh(hist) + query.unsqueeze(1))).squeeze(2)
        a = torch.softmax(e, -1)
        return (a.unsqueeze(2) * hist).sum(1), a


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
model = IntraAttention()
names = ["x", "hist", "ht"]
axes = {"x": {0: "B"}, "hist": {0: "B", 1: "S"}, "ht": {0: "B"}}
for opset in (14, 17):
    example = (torch.randn(2, H), torch.randn(2, 5, H), torch.randn(2, H))
    torch.onnx.export(model, example, os.path.join(out, "lstmn_%d.onnx" % opset),
                      opset_version=opset, input_names=names, dynamic_axes=axes)
for shape, (batch, length) in (("a", (2, 5)), ("b", (3, 9))):
    args = (torch.randn(batch, H), torch.randn(batch, length, H), torch.randn(batch, H))
    with torch.no_grad():
        results = model(*args)
    for n, a in zip(names, args):
        np.save(os.path.join(out, "%s.%s.npy" % (shape, n)), a.numpy())
    for i, r in enumerate(results):
        np.save(os.path.join(out, "%s.out%d.npy" % (shape, i)), r.numpy())
