#!/usr/bin/python3
"""softmax(q k^T / sqrt(q.size(-1)) + triu(full((L, L), -inf), 1)) v with L = q.size(-2), exported
from PyTorch 1.13 with dynamic batch and lengths, and PyTorch's outputs for two cases: Lq = Lk = 7,
and Lq = 1 with Lk = 5 (the [1, 1] mask broadcasts over the keys: every key visible).

usage: causal_triu_export.py OUT_DIR
"""
import math
import os
import sys

import numpy as np
import torch


class Causal(torch.nn.Module):
    def forward(self, q, k, v):
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        L = q.size(-2)
        scores = scores + torch.triu(torch.full((L, L), float("-inf")), diagonal=1)
        return torch.softmax(scores, dim=-1) @ v


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
model = Causal()
example = [torch.randn(2, 4, 7, 16) for _ in range(3)]
axes = {n: {0: "B", 2: "L" if n == "q" else "S"} for n in ("q", "k", "v")}
torch.onnx.export(model, tuple(example), os.path.join(out, "causal.onnx"), opset_version=14,
                  input_names=["q", "k", "v"], output_names=["out"],
                  dynamic_axes={**axes, "out": {0: "B", 2: "L"}})
for name, (lq, lk) in {"square": (7, 7), "one_query": (1, 5)}.items():
    q, k, v = torch.randn(2, 4, lq, 16), torch.randn(2, 4, lk, 16), torch.randn(2, 4, lk, 16)
    for t, n in ((q, "q"), (k, "k"), (v, "v")):
        np.save(os.path.join(out, f"{name}.{n}.npy"), t.numpy())
    np.save(os.path.join(out, f"{name}.out.npy"), model(q, k, v).numpy())
