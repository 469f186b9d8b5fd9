#!/usr/bin/python3
"""Residual adds before a LayerNorm as PyTorch users write them: a post-norm block
norm(x + ffn(x)) (nn.TransformerEncoderLayer's default order, BERT's), whose sum only the norm
reads, and a pre-norm block x + ffn(norm(x)) followed by a final norm, whose sum is also read as
the next residual. Exported from PyTorch 1.13 at opsets 14 and 17 (LayerNorm decomposed at 14,
LayerNormalization at 17) with dynamic batch and length, with PyTorch's outputs for 2 and 160 rows.
The inputs are offset by 50: a kernel computing the variance in one pass would lose it.

usage: residual_norm_export.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch


class PostNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ffn = torch.nn.Sequential(torch.nn.Linear(48, 96), torch.nn.ReLU(),
                                       torch.nn.Linear(96, 48))
        self.norm1 = torch.nn.LayerNorm(48)
        self.norm2 = torch.nn.LayerNorm(48)

    def forward(self, x):
        x = self.norm1(x + self.ffn(x))
        return self.norm2(self.ffn(x) + x)  # the residual on the right


class PreNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ffn = torch.nn.Sequential(torch.nn.Linear(48, 96), torch.nn.ReLU(),
                                       torch.nn.Linear(96, 48))
        self.norm = torch.nn.LayerNorm(48)
        self.final = torch.nn.LayerNorm(48)

    def forward(self, x):
        h = x + self.ffn(self.norm(x))
        return self.final(h) + h


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
for name, model in (("post", PostNorm().eval()), ("pre", PreNorm().eval())):
    with torch.no_grad():  # affine parameters that are not the identity
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    for opset in (14, 17):
        torch.onnx.export(model, torch.randn(2, 3, 48), os.path.join(out, f"{name}_{opset}.onnx"),
                          opset_version=opset, input_names=["x"],
                          dynamic_axes={"x": {0: "B", 1: "T"}})
    for shape, (batch, length) in (("a", (1, 2)), ("b", (4, 40))):
        x = torch.randn(batch, length, 48) * 2 + 50
        with torch.no_grad():
            y = model(x)
        np.save(os.path.join(out, f"{name}.{shape}.in.npy"), x.numpy())
        np.save(os.path.join(out, f"{name}.{shape}.out.npy"), y.numpy())
