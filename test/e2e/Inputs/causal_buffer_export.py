#!/usr/bin/python3
"""Causal masks cut from a registered buffer, as GPT-style code writes them:
- mingpt: a float tril(ones(N, N)) buffer sliced [:, :, :T, :T], masked_fill(== 0, -inf);
- hf_gpt2: a bool tril buffer sliced [:, :, k - q : k, :k] and torch.where(mask, w, finfo.min).
Both with a buffer of N = 16 positions, exported from PyTorch 1.13 at opsets 14 and 17 with
dynamic batch and length, with PyTorch's outputs for lengths 5 and 11 (a sequence of 20 does not
fit the buffer: PyTorch fails on it, and so must the compiled model).

usage: causal_buffer_export.py OUT_DIR
"""
import math
import os
import sys

import numpy as np
import torch

D, HEADS, N = 32, 4, 16


class MinGpt(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = torch.nn.Linear(D, 3 * D)
        self.register_buffer("bias", torch.tril(torch.ones(N, N)).view(1, 1, N, N))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(D, dim=2)
        heads = lambda t: t.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        y = torch.softmax(att, dim=-1) @ v
        return y.transpose(1, 2).contiguous().view(B, T, C)


class HfGpt2(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = torch.nn.Linear(D, 3 * D)
        self.register_buffer("bias", torch.tril(torch.ones((N, N), dtype=torch.bool)).view(1, 1, N, N))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(D, dim=2)
        heads = lambda t: t.view(B, T, HEADS, C // HEADS).permute(0, 2, 1, 3)
        q, k, v = heads(q), heads(k), heads(v)
        w = torch.matmul(q, k.transpose(-1, -2)) / torch.tensor(v.size(-1) ** 0.5)
        query_length, key_length = q.size(-2), k.size(-2)
        causal_mask = self.bias[:, :, key_length - query_length:key_length, :key_length]
        mask_value = torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype)
        w = torch.where(causal_mask, w, mask_value)
        y = torch.matmul(torch.softmax(w, dim=-1), v)
        return y.permute(0, 2, 1, 3).contiguous().view(B, T, C)


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
for name, model in (("mingpt", MinGpt()), ("hf_gpt2", HfGpt2())):
    model.eval()
    for opset in (14, 17):
        torch.onnx.export(model, torch.randn(2, 5, D), os.path.join(out, f"{name}_{opset}.onnx"),
                          opset_version=opset, input_names=["x"],
                          dynamic_axes={"x": {0: "B", 1: "T"}})
    for shape, (batch, length) in (("a", (2, 5)), ("b", (3, 11)), ("long", (1, 20))):
        x = torch.randn(batch, length, D)
        np.save(os.path.join(out, f"{name}.{shape}.x.npy"), x.numpy())
        if length <= N:
            with torch.no_grad():
                np.save(os.path.join(out, f"{name}.{shape}.out.npy"), model(x).numpy())
