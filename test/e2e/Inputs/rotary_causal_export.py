#!/usr/bin/python3
"""A Llama attention block as its reference code writes it: RMSNorm (x * rsqrt(mean(x^2) + eps)),
rotary embeddings from registered cos/sin tables sliced to the length (`cos[:L]`) with
rotate_half's cat, grouped-query heads repeated by expand + reshape, and the causal mask as
torch.full((L, L), -inf).triu(1) added to the scores. The query length reaches the attention
through the rotary products, where a dim of q meets a dim of the table slice: the fusion must
prove both come from x.size(1) to call the mask causal. Exported from PyTorch 1.13 at opsets 14
and 17 with dynamic batch and length; PyTorch's outputs for lengths 5 and 32 (tables of 32
rows), and an input of length 33, longer than the tables, on which PyTorch itself fails.

usage: rotary_causal_export.py OUT_DIR
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1 + 0.1 * torch.randn(d))

    def forward(self, x):
        v = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(v + self.eps))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, d=64, heads=4, kv=2, table=32):
        super().__init__()
        self.h, self.kv, self.dh = heads, kv, d // heads
        self.norm = RMSNorm(d)
        self.q = nn.Linear(d, heads * self.dh, bias=False)
        self.k = nn.Linear(d, kv * self.dh, bias=False)
        self.v = nn.Linear(d, kv * self.dh, bias=False)
        self.o = nn.Linear(heads * self.dh, d, bias=False)
        inv = 1.0 / (10000 ** (torch.arange(0, self.dh, 2).float() / self.dh))
        freqs = torch.outer(torch.arange(table).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos())
        self.register_buffer("sin", emb.sin())

    def forward(self, x):
        B, L, _ = x.shape
        h = self.norm(x)
        q = self.q(h).view(B, L, self.h, self.dh).transpose(1, 2)
        k = self.k(h).view(B, L, self.kv, self.dh).transpose(1, 2)
        v = self.v(h).view(B, L, self.kv, self.dh).transpose(1, 2)
        cos, sin = self.cos[:L][None, None], self.sin[:L][None, None]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = lambda t: t[:, :, None, :, :].expand(B, self.kv, self.h // self.kv, L,
                                                   self.dh).reshape(B, self.h, L, self.dh)
        k, v = rep(k), rep(v)
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.dh)
        mask = torch.full((L, L), float("-inf")).triu(1)
        att = F.softmax(att + mask, dim=-1)
        a = torch.matmul(att, v).transpose(1, 2).reshape(B, L, -1)
        return x + self.o(a)


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
model = LlamaAttention().eval()
for opset in (14, 17):
    torch.onnx.export(model, torch.randn(2, 7, 64), os.path.join(out, f"llama_{opset}.onnx"),
                      opset_version=opset, input_names=["x"],
                      dynamic_axes={"x": {0: "B", 1: "L"}})
for shape, (batch, length) in (("a", (1, 5)), ("b", (3, 32))):
    x = torch.randn(batch, length, 64)
    with torch.no_grad():
        y = model(x)
    np.save(os.path.join(out, f"llama.{shape}.in.npy"), x.numpy())
    np.save(os.path.join(out, f"llama.{shape}.out.npy"), y.numpy())
np.save(os.path.join(out, "llama.long.in.npy"), torch.randn(2, 33, 64).numpy())
try:
    with torch.no_grad():
        model(torch.randn(2, 33, 64))
    sys.exit("PyTorch ran a sequence longer than its rotary tables: the test's premise is wrong")
except RuntimeError:
    pass
