#!/usr/bin/python3
"""Feed-forward blocks as PyTorch users write them, Linear -> activation -> Linear, with each
activation heed-fuse-linear-activation folds into the first projection: nn.ReLU, nn.GELU (erf),
GPT-2's tanh GELU written out, nn.Tanh, nn.Sigmoid, nn.SiLU (x * sigmoid(x) in ONNX). Exported from PyTorch 1.13 at opsets 14 and 17 with dynamic batch and
length, with PyTorch's outputs for two shapes: 2 rows (a decoding step) and 160 rows.

usage: linear_activation_export.py OUT_DIR
"""
import math
import os
import sys

import numpy as np
import torch

class NewGelu(torch.nn.Module):
    """GPT-2's and HF's gelu_new, written out (torch.pow of the cube)."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) *
                                           (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {"relu": torch.nn.ReLU(), "gelu": torch.nn.GELU(), "gelu_tanh": NewGelu(),
               "tanh": torch.nn.Tanh(), "sigmoid": torch.nn.Sigmoid(), "silu": torch.nn.SiLU()}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
for name, act in ACTIVATIONS.items():
    model = torch.nn.Sequential(torch.nn.Linear(32, 96), act, torch.nn.Linear(96, 32)).eval()
    for opset in (14, 17):
        torch.onnx.export(model, torch.randn(2, 3, 32), os.path.join(out, f"{name}_{opset}.onnx"),
                          opset_version=opset, input_names=["x"],
                          dynamic_axes={"x": {0: "B", 1: "T"}})
    for shape, (batch, length) in (("a", (1, 2)), ("b", (4, 40))):
        x = torch.randn(batch, length, 32) * 2
        with torch.no_grad():
            y = model(x)
        np.save(os.path.join(out, f"{name}.{shape}.in.npy"), x.numpy())
        np.save(os.path.join(out, f"{name}.{shape}.out.npy"), y.numpy())
