#!/usr/bin/python3
"""GPT-J's attention as Hugging Face's GPTJAttention writes it: q, k, v projections without bias,
heads split as view(B, T, H, D), rotary embeddings on the first rotary_dim features of q and k
(the rest passed through and concatenated back) from sin/cos tables made by duplicate_interleave
and applied with rotate_every_two (stack((-x[..., 1::2], x[..., ::2]), -1).flatten(-2)), the
causal mask as a slice of a tril bool buffer with torch.where(mask, scores, finfo.min), the
scores divided by sqrt(D) after masking. Exported from PyTorch 1.13 (opset 14, dynamic batch and
length) with PyTorch's outputs for lengths 5 and 32 (tables of 32 positions).

usage: gptj_attention_export.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch
from torch import nn

E, H, ROT, T = 64, 4, 8, 32


def duplicate_interleave(m):
    dim0 = m.shape[0]
    return m.view(-1, 1).repeat(1, 2).view(dim0, -1)


def rotate_every_two(x):
    x1 = x[:, :, :, ::2]
    x2 = x[:, :, :, 1::2]
    return torch.stack((-x2, x1), dim=-1).flatten(-2)


def apply_rotary_pos_emb(x, sincos):
    sin, cos = map(lambda t: duplicate_interleave(t)[None, : x.shape[1], None, :], sincos)
    return (x * cos) + (rotate_every_two(x) * sin)


class GPTJAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.dh = E // H
        self.register_buffer("bias", torch.tril(torch.ones((T, T), dtype=torch.bool)).view(1, 1, T, T))
        self.scale_attn = torch.sqrt(torch.tensor(self.dh, dtype=torch.float32))
        self.q_proj = nn.Linear(E, E, bias=False)
        self.k_proj = nn.Linear(E, E, bias=False)
        self.v_proj = nn.Linear(E, E, bias=False)
        self.out_proj = nn.Linear(E, E, bias=False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, ROT, 2) / ROT))
        sinusoid = torch.einsum("i , j -> i j", torch.arange(T, dtype=torch.float), inv_freq)
        self.register_buffer("sin", torch.sin(sinusoid))
        self.register_buffer("cos", torch.cos(sinusoid))

    def forward(self, x):
        b, t, _ = x.size()
        q = self.q_proj(x).view(b, t, H, self.dh)
        k = self.k_proj(x).view(b, t, H, self.dh)
        v = self.v_proj(x).view(b, t, H, self.dh).permute(0, 2, 1, 3)
        sincos = (self.sin, self.cos)
        k = torch.cat([apply_rotary_pos_emb(k[:, :, :, :ROT], sincos), k[:, :, :, ROT:]], dim=-1)
        q = torch.cat([apply_rotary_pos_emb(q[:, :, :, :ROT], sincos), q[:, :, :, ROT:]], dim=-1)
        q, k = q.permute(0, 2, 1, 3), k.permute(0, 2, 1, 3)
        causal = self.bias[:, :, k.size(-2) - q.size(-2): k.size(-2), : k.size(-2)]
        w = torch.matmul(q, k.transpose(-1, -2))
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        w = nn.functional.softmax(w / self.scale_attn, dim=-1)
        o = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous().view(b, t, E)
        return self.out_proj(o)


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
model = GPTJAttention().eval()
torch.onnx.export(model, (torch.randn(2, 5, E),), os.path.join(out, "gptj.onnx"), opset_version=14,
                  input_names=["x"], dynamic_axes={"x": {0: "B", 1: "T"}})
for shape, (batch, length) in (("a", (1, 5)), ("b", (3, 32))):
    x = torch.randn(batch, length, E)
    with torch.no_grad():
        y = model(x)
    np.save(os.path.join(out, f"gptj.{shape}.in.npy"), x.numpy())
    np.save(os.path.join(out, f"gptj.{shape}.out.npy"), y.numpy())
