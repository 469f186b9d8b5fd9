#!/usr/bin/python3
"""The TensorFlow NMT tutorial's BahdanauAttention as its PyTorch ports write it: the scores a
column [B, S, 1] from a Dense(1) WITH its bias, the softmax along axis 1 (not the last), the
context sum(weights * values, axis=1); the weights returned as [B, S, 1]. Exported from PyTorch
1.13 at opsets 14 and 17 with dynamic batch and source length, with PyTorch's outputs for two
shapes.

usage: tf_bahdanau_export.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch

D, UNITS = 24, 16


class BahdanauAttention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.W1 = torch.nn.Linear(D, UNITS)
        self.W2 = torch.nn.Linear(D, UNITS)
        self.V = torch.nn.Linear(UNITS, 1)

    def forward(self, query, values):
        score = self.V(torch.tanh(self.W1(query.unsqueeze(1)) + self.W2(values)))
        weights = torch.softmax(score, dim=1)
        return (weights * values).sum(dim=1), weights


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
model = BahdanauAttention()
names = ["query", "values"]
axes = {"query": {0: "B"}, "values": {0: "B", 1: "S"}}
for opset in (14, 17):
    example = (torch.randn(2, D), torch.randn(2, 5, D))
    torch.onnx.export(model, example, os.path.join(out, "tf_bahdanau_%d.onnx" % opset),
                      opset_version=opset, input_names=names, dynamic_axes=axes)
for shape, (batch, length) in (("a", (2, 5)), ("b", (3, 9))):
    args = (torch.randn(batch, D), torch.randn(batch, length, D))
    with torch.no_grad():
        results = model(*args)
    for n, a in zip(names, args):
        np.save(os.path.join(out, "%s.%s.npy" % (shape, n)), a.numpy())
    for i, r in enumerate(results):
        np.save(os.path.join(out, "%s.out%d.npy" % (shape, i)), r.numpy())
