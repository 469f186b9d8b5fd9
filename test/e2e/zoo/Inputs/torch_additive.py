#!/usr/bin/python3
"""Exports hand-written Bahdanau modules in the spellings torch 1.13 traces
(context by bmm, matmul or unsqueeze * keys summed; v^T as nn.Linear(A, 1) or
(t * v).sum(-1); the batch static or dynamic) at opsets 14 and 17, with inputs
and torch's outputs at source lengths 5 and 9, in the zoo layout run_zoo.py
reads: OUT/<ctx>_<v>_<batch>/opset{14,17}.onnx, L{5,9}/{input,output}_<i>.npy.

Usage: torch_additive.py OUT_DIR"""

import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn

D = 16


class Bahdanau(nn.Module):
    def __init__(self, ctx, linear_v):
        super().__init__()
        self.w_q = nn.Linear(D, D, bias=False)
        self.w_k = nn.Linear(D, D)
        self.v = nn.Linear(D, 1, bias=False) if linear_v else nn.Parameter(torch.randn(D) * 0.3)
        self.ctx, self.linear_v = ctx, linear_v

    def forward(self, query, keys, mask):
        t = torch.tanh(self.w_q(query).unsqueeze(1) + self.w_k(keys))
        scores = self.v(t).squeeze(2) if self.linear_v else (t * self.v).sum(-1)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
        if self.ctx == "bmm":
            context = torch.bmm(weights.unsqueeze(1), keys).squeeze(1)
        elif self.ctx == "matmul":
            context = torch.matmul(weights.unsqueeze(1), keys).squeeze(1)
        else:
            context = (weights.unsqueeze(2) * keys).sum(1)
        return context, weights


def inputs(batch, length, rng):
    mask = np.ones((batch, length), dtype=bool)
    mask[1, length // 2:] = False  # padding in one row, never a fully masked row
    return [rng.randn(batch, D).astype(np.float32), rng.randn(batch, length, D).astype(np.float32),
            mask]


def main(out):
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    for ctx in ("bmm", "matmul", "sum"):
        for linear_v in (True, False):
            for dynamic in (False, True):
                name = "%s_%s_%s" % (ctx, "linear" if linear_v else "vsum",
                                     "dynbatch" if dynamic else "batch2")
                d = os.path.join(out, name)
                os.makedirs(d, exist_ok=True)
                model = Bahdanau(ctx, linear_v).eval()
                axes = {"keys": {1: "S"}, "mask": {1: "S"}}
                if dynamic:
                    axes = {"query": {0: "B"}, "keys": {0: "B", 1: "S"}, "mask": {0: "B", 1: "S"}}
                example = tuple(torch.from_numpy(x) for x in inputs(2, 5, rng))
                for opset in (14, 17):
                    torch.onnx.export(model, example, os.path.join(d, "opset%d.onnx" % opset),
                                      input_names=["query", "keys", "mask"],
                                      output_names=["context", "weights"], dynamic_axes=axes,
                                      opset_version=opset)
                for length in (5, 9):
                    ld = os.path.join(d, "L%d" % length)
                    os.makedirs(ld, exist_ok=True)
                    xs = inputs(2, length, rng)
                    with torch.no_grad():
                        ys = model(*(torch.from_numpy(x) for x in xs))
                    for i, x in enumerate(xs):
                        np.save(os.path.join(ld, "input_%d.npy" % i), x)
                    for i, y in enumerate(ys):
                        np.save(os.path.join(ld, "output_%d.npy" % i), y.numpy())


if __name__ == "__main__":
    main(sys.argv[1])
