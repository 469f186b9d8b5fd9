#!/usr/bin/python3
"""Attention as Hugging Face's reference code writes it, exported from PyTorch 1.13 (opset 14,
dynamic batch and lengths) with PyTorch's outputs at two shapes:
- `bart_self`: BART's decoder self-attention (Marian, mBART, Pegasus, M2M100 and NLLB copy it):
  q_proj(x) * scaling, heads as view(B, -1, H, D).transpose(1, 2), bmm on view(B * H, -1, D)
  merges, the causal mask built as torch.full((T, T), finfo.min).masked_fill_(arange <
  (arange + 1).view(T, 1), 0)[None, None].expand(B, 1, T, T), added on view(B, H, T, T) and
  merged back for the softmax;
- `bart_cross`: the same attention from the decoder to the encoder output, with the encoder
  padding mask as _expand_mask makes it ((1 - m[:, None, None, :].expand(B, 1, T, S)) filled
  with finfo.min);
- `bart_step`: BART's decoder self-attention at one decoding step with the cache (the past keys
  and values concatenated with the new ones, the padding mask over past and new positions);
- `distilbert`: DistilBERT's self-attention: q / sqrt(D), scores.masked_fill((mask == 0)
  .view(B, 1, 1, L).expand_as(scores), finfo.min).

usage: hf_attention_export.py OUT_DIR
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

E, H = 64, 4


class BartAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.dh = E // H
        self.scaling = self.dh ** -0.5
        self.q_proj, self.k_proj = nn.Linear(E, E), nn.Linear(E, E)
        self.v_proj, self.out_proj = nn.Linear(E, E), nn.Linear(E, E)

    def _shape(self, t, seq_len, bsz):
        return t.view(bsz, seq_len, H, self.dh).transpose(1, 2).contiguous()

    def attend(self, hidden, kv, attention_mask, past=None):
        bsz, tgt_len, _ = hidden.size()
        query_states = self.q_proj(hidden) * self.scaling
        key_states = self._shape(self.k_proj(kv), -1, bsz)
        value_states = self._shape(self.v_proj(kv), -1, bsz)
        if past is not None:  # the decoder's self-attention with a cache
            key_states = torch.cat([past[0], key_states], dim=2)
            value_states = torch.cat([past[1], value_states], dim=2)
        present = (key_states, value_states)
        proj_shape = (bsz * H, -1, self.dh)
        query_states = self._shape(query_states, tgt_len, bsz).view(*proj_shape)
        key_states = key_states.reshape(*proj_shape)
        value_states = value_states.reshape(*proj_shape)
        src_len = key_states.size(1)
        attn_weights = torch.bmm(query_states, key_states.transpose(1, 2))
        attn_weights = attn_weights.view(bsz, H, tgt_len, src_len) + attention_mask
        attn_weights = attn_weights.view(bsz * H, tgt_len, src_len)
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_output = torch.bmm(attn_weights, value_states)
        attn_output = attn_output.view(bsz, H, tgt_len, self.dh).transpose(1, 2)
        return self.out_proj(attn_output.reshape(bsz, tgt_len, E)), present


class BartSelf(BartAttention):
    def forward(self, x):
        bsz, tgt_len, _ = x.size()
        mask = torch.full((tgt_len, tgt_len), torch.finfo(x.dtype).min)
        mask_cond = torch.arange(mask.size(-1))
        mask.masked_fill_(mask_cond < (mask_cond + 1).view(mask.size(-1), 1), 0)
        mask = mask[None, None, :, :].expand(bsz, 1, tgt_len, tgt_len)
        return self.attend(x, x, mask)[0]


class BartStep(BartAttention):
    """One decoding step with the cache: the padding mask covers the past and the new token."""

    def forward(self, x, past_k, past_v, attention_mask):
        bsz, tgt_len, _ = x.size()
        src_len = attention_mask.size(1)
        expanded = attention_mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(x.dtype)
        inverted = 1.0 - expanded
        mask = inverted.masked_fill(inverted.to(torch.bool), torch.finfo(x.dtype).min)
        y, (k, v) = self.attend(x, x, mask, (past_k, past_v))
        return y, k, v


class BartCross(BartAttention):
    def forward(self, x, memory, memory_mask):
        bsz, tgt_len, _ = x.size()
        src_len = memory_mask.size(1)
        expanded = memory_mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(x.dtype)
        inverted = 1.0 - expanded
        mask = inverted.masked_fill(inverted.to(torch.bool), torch.finfo(x.dtype).min)
        return self.attend(x, memory, mask)[0]


class DistilBert(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_lin, self.k_lin = nn.Linear(E, E), nn.Linear(E, E)
        self.v_lin, self.out_lin = nn.Linear(E, E), nn.Linear(E, E)

    def forward(self, x, mask):
        bs, k_length, dim = x.size()
        dim_per_head = dim // H
        mask_reshp = (bs, 1, 1, k_length)

        def shape(t):
            return t.view(bs, -1, H, dim_per_head).transpose(1, 2)

        q = shape(self.q_lin(x)) / math.sqrt(dim_per_head)
        k, v = shape(self.k_lin(x)), shape(self.v_lin(x))
        scores = torch.matmul(q, k.transpose(2, 3))
        mask = (mask == 0).view(mask_reshp).expand_as(scores)
        scores = scores.masked_fill(mask, torch.tensor(torch.finfo(scores.dtype).min))
        weights = nn.functional.softmax(scores, dim=-1)
        context = torch.matmul(weights, v).transpose(1, 2).contiguous().view(bs, -1, H * dim_per_head)
        return self.out_lin(context)


def padding(batch, length):
    m = torch.ones(batch, length, dtype=torch.int64)
    for b in range(1, batch):
        m[b, length - b:] = 0  # row b pads its last b positions
    return m


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
cases = {
    "bart_self": (BartSelf(), lambda b, t: [torch.randn(b, t, E)], ["x"], {"x": {0: "B", 1: "T"}}),
    "bart_cross": (BartCross(), lambda b, t: [torch.randn(b, t, E), torch.randn(b, t + 3, E),
                                              padding(b, t + 3)],
                   ["x", "memory", "memory_mask"],
                   {"x": {0: "B", 1: "T"}, "memory": {0: "B", 1: "S"},
                    "memory_mask": {0: "B", 1: "S"}}),
    "bart_step": (BartStep(), lambda b, t: [torch.randn(b, 1, E), torch.randn(b, H, t, E // H),
                                            torch.randn(b, H, t, E // H), padding(b, t + 1)],
                  ["x", "past_k", "past_v", "attention_mask"],
                  {"x": {0: "B"}, "past_k": {0: "B", 2: "P"}, "past_v": {0: "B", 2: "P"},
                   "attention_mask": {0: "B", 1: "S"}}),
    "distilbert": (DistilBert(), lambda b, t: [torch.randn(b, t, E), padding(b, t)], ["x", "mask"],
                   {"x": {0: "B", 1: "L"}, "mask": {0: "B", 1: "L"}}),
}
for name, (model, make, names, axes) in cases.items():
    model.eval()
    torch.onnx.export(model, tuple(make(2, 5)), os.path.join(out, f"{name}.onnx"), opset_version=14,
                      input_names=names, dynamic_axes=axes)
    for shape, (batch, length) in (("a", (1, 3)), ("b", (3, 17))):
        inputs = make(batch, length)
        with torch.no_grad():
            y = model(*inputs)
        for i, a in enumerate(inputs):
            np.save(os.path.join(out, f"{name}.{shape}.in{i}.npy"), a.numpy())
        for i, a in enumerate(y if isinstance(y, tuple) else (y,)):
            np.save(os.path.join(out, f"{name}.{shape}.out{i}.npy"), a.numpy())
