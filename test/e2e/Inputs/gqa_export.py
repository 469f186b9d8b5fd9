#!/usr/bin/python3
"""Grouped-query attention as PyTorch users write it: keys and values with 2 heads repeated for
8 query heads by k[:, :, None].expand(b, kv, g, l, d).reshape(b, kv * g, l, d) (each kv head g
times in a row, repeat_interleave's order: "expand"), and by k.repeat(1, g, 1, 1) (the heads
tiled, a different order that must stay a copy: "tile"); then
softmax(q k^T / sqrt(d)) v. Exported from PyTorch 1.13 at opset 17 with dynamic batch and
length, with PyTorch's outputs for two shapes.

usage: gqa_export.py OUT_DIR
"""
import math
import os
import sys

import numpy as np
import torch

HEADS, KV_HEADS, D = 8, 2, 16
GROUP = HEADS // KV_HEADS


class Expand(torch.nn.Module):
    def forward(self, q, k, v):
        b, kv, l, d = k.shape
        k = k[:, :, None].expand(b, kv, GROUP, l, d).reshape(b, kv * GROUP, l, d)
        v = v[:, :, None].expand(b, kv, GROUP, l, d).reshape(b, kv * GROUP, l, d)
        return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), -1) @ v


class Tile(torch.nn.Module):
    def forward(self, q, k, v):
        k, v = k.repeat(1, GROUP, 1, 1), v.repeat(1, GROUP, 1, 1)
        return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), -1) @ v


def inputs(batch, length):
    return (torch.randn(batch, HEADS, length, D), torch.randn(batch, KV_HEADS, length, D),
            torch.randn(batch, KV_HEADS, length, D))


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
for name, model in (("expand", Expand()), ("tile", Tile())):
    torch.onnx.export(model, inputs(2, 6), os.path.join(out, name + ".onnx"), opset_version=17,
                      input_names=["q", "k", "v"],
                      dynamic_axes={n: {0: "B", 2: "L"} for n in ("q", "k", "v")})
    for shape, (batch, length) in (("a", (2, 6)), ("b", (3, 11))):
        args = inputs(batch, length)
        with torch.no_grad():
            result = model(*args)
        for n, a in zip("qkv", args):
            np.save(os.path.join(out, "%s.%s.%s.npy" % (name, shape, n)), a.numpy())
        np.save(os.path.join(out, "%s.%s.out.npy" % (name, shape)), result.numpy())
