#!/usr/bin/python3
"""Issue 16's fresh trial: PyTorch exports of attention families the benchmarks never used, timed in
PyTorch, onnxruntime and Heed on the same .onnx file (2 threads), with every output checked.

usage: PYTHONPATH= /usr/bin/python3 test/fresh-trials/perf_families.py [--build DIR] [--threads N]
       [--only SUBSTRING]

The families, written the way their reference code is (not the project's spellings): a GPT-2
block (packed c_attn split, a tril buffer sliced to T and masked_fill(-inf), the tanh GELU written
out with torch.pow), a Hugging Face BERT layer (extended mask (1 - m) * -10000, post-norm, erf
GELU), a T5 layer (RMSNorm written out, unscaled scores plus a learned position bias, ReLU FFN,
no biases), a Llama block (RMSNorm, rotary embeddings with rotate_half, grouped-query heads
repeated by expand, SwiGLU), a Luong GRU decoder step (bmm dot attention, concat layer,
log_softmax), and (added in session 8, when a trial of more families found them unfused) Hugging
Face BART's self-attention (bmm on [B * H, T, D] merges, in-graph causal mask) and DistilBERT's
(expand_as mask), and (session 9) BART's cross-attention (its encoder padding mask) and GPT-J's
attention (rotate_every_two rotary, where(tril buffer, w, finfo.min)). A benchmark,
not a test: quote ratios from one run on a quiet machine. onnxruntime comes from
bench/onnxruntime/install.sh (a benchmark-only dependency).
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class NewGELU(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

class GPT2Block(nn.Module):
    def __init__(s, d=512, h=8, T=1024):
        super().__init__(); s.h = h; s.d = d
        s.ln_1 = nn.LayerNorm(d); s.ln_2 = nn.LayerNorm(d)
        s.c_attn = nn.Linear(d, 3 * d); s.c_proj = nn.Linear(d, d)
        s.fc = nn.Linear(d, 4 * d); s.proj = nn.Linear(4 * d, d); s.act = NewGELU()
        s.register_buffer("bias", torch.tril(torch.ones(T, T)).view(1, 1, T, T))
    def forward(s, x):
        B, T, C = x.size()
        q, k, v = s.c_attn(s.ln_1(x)).split(s.d, dim=2)
        k = k.view(B, T, s.h, C // s.h).transpose(1, 2)
        q = q.view(B, T, s.h, C // s.h).transpose(1, 2)
        v = v.view(B, T, s.h, C // s.h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(s.bias[:, :, :T, :T] == 0, float('-inf'))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + s.c_proj(y)
        return x + s.proj(s.act(s.fc(s.ln_2(x))))

class BertLayer(nn.Module):
    def __init__(s, d=512, h=8):
        super().__init__(); s.h = h; s.dh = d // h
        s.query = nn.Linear(d, d); s.key = nn.Linear(d, d); s.value = nn.Linear(d, d)
        s.dense = nn.Linear(d, d); s.ln1 = nn.LayerNorm(d, eps=1e-12)
        s.inter = nn.Linear(d, 4 * d); s.out = nn.Linear(4 * d, d); s.ln2 = nn.LayerNorm(d, eps=1e-12)
    def t(s, x):
        return x.view(x.size()[:-1] + (s.h, s.dh)).permute(0, 2, 1, 3)
    def forward(s, x, attention_mask):
        ext = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        q, k, v = s.t(s.query(x)), s.t(s.key(x)), s.t(s.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(s.dh) + ext
        p = nn.functional.softmax(scores, dim=-1)
        c = torch.matmul(p, v).permute(0, 2, 1, 3).contiguous()
        c = c.view(c.size()[:-2] + (s.h * s.dh,))
        x = s.ln1(s.dense(c) + x)
        return s.ln2(s.out(F.gelu(s.inter(x))) + x)

class T5RMSNorm(nn.Module):
    def __init__(s, d, eps=1e-6):
        super().__init__(); s.weight = nn.Parameter(torch.ones(d) + 0.1 * torch.randn(d)); s.eps = eps
    def forward(s, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return s.weight * (x * torch.rsqrt(var + s.eps))

class T5Layer(nn.Module):
    def __init__(s, d=512, h=8, L=256):
        super().__init__(); s.h = h; s.dh = d // h
        s.q = nn.Linear(d, d, bias=False); s.k = nn.Linear(d, d, bias=False)
        s.v = nn.Linear(d, d, bias=False); s.o = nn.Linear(d, d, bias=False)
        s.n1 = T5RMSNorm(d); s.n2 = T5RMSNorm(d)
        s.wi = nn.Linear(d, 4 * d, bias=False); s.wo = nn.Linear(4 * d, d, bias=False)
        s.pos = nn.Parameter(torch.randn(1, h, L, L) * 0.1)
    def forward(s, x):
        B, L, _ = x.shape
        h = s.n1(x)
        sp = lambda t: t.view(B, -1, s.h, s.dh).transpose(1, 2)
        q, k, v = sp(s.q(h)), sp(s.k(h)), sp(s.v(h))
        scores = torch.matmul(q, k.transpose(3, 2)) + s.pos[:, :, :L, :L]
        w = F.softmax(scores.float(), dim=-1).type_as(scores)
        a = torch.matmul(w, v).transpose(1, 2).contiguous().view(B, -1, s.h * s.dh)
        x = x + s.o(a)
        return x + s.wo(F.relu(s.wi(s.n2(x))))

class LuongGruStep(nn.Module):
    def __init__(s, V=4000, H=512):
        super().__init__()
        s.emb = nn.Embedding(V, H); s.gru = nn.GRU(H, H, batch_first=True)
        s.concat = nn.Linear(2 * H, H); s.out = nn.Linear(H, V)
    def forward(s, y, h, enc):
        e = s.emb(y).unsqueeze(1)
        o, h = s.gru(e, h)
        att = torch.bmm(o, enc.transpose(1, 2))
        w = F.softmax(att, dim=-1)
        ctx = torch.bmm(w, enc)
        c = torch.tanh(s.concat(torch.cat((o.squeeze(1), ctx.squeeze(1)), 1)))
        return F.log_softmax(s.out(c), dim=1), h

class LlamaRMSNorm(nn.Module):
    def __init__(s, d, eps=1e-6):
        super().__init__(); s.eps = eps; s.weight = nn.Parameter(torch.ones(d))
    def forward(s, x):
        v = x.pow(2).mean(-1, keepdim=True)
        return s.weight * (x * torch.rsqrt(v + s.eps))

def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]; x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)

class Llama(nn.Module):
    def __init__(s, d=512, h=8, kv=2, ff=1376, T=2048):
        super().__init__(); s.h, s.kv, s.dh = h, kv, d // h
        s.q = nn.Linear(d, h * s.dh, bias=False); s.k = nn.Linear(d, kv * s.dh, bias=False)
        s.v = nn.Linear(d, kv * s.dh, bias=False); s.o = nn.Linear(h * s.dh, d, bias=False)
        s.gate = nn.Linear(d, ff, bias=False); s.up = nn.Linear(d, ff, bias=False); s.down = nn.Linear(ff, d, bias=False)
        s.n1 = LlamaRMSNorm(d); s.n2 = LlamaRMSNorm(d)
        inv = 1.0 / (10000 ** (torch.arange(0, s.dh, 2).float() / s.dh))
        t = torch.arange(T).float(); fr = torch.outer(t, inv); emb = torch.cat((fr, fr), dim=-1)
        s.register_buffer("cos", emb.cos()); s.register_buffer("sin", emb.sin())
    def forward(s, x):
        B, L, _ = x.shape
        h = s.n1(x)
        q = s.q(h).view(B, L, s.h, s.dh).transpose(1, 2)
        k = s.k(h).view(B, L, s.kv, s.dh).transpose(1, 2)
        v = s.v(h).view(B, L, s.kv, s.dh).transpose(1, 2)
        cos, sin = s.cos[:L][None, None], s.sin[:L][None, None]
        q = q * cos + rotate_half(q) * sin; k = k * cos + rotate_half(k) * sin
        rep = lambda t: t[:, :, None, :, :].expand(B, s.kv, s.h // s.kv, L, s.dh).reshape(B, s.h, L, s.dh)
        k = rep(k); v = rep(v)
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(s.dh)
        mask = torch.full((L, L), float("-inf")).triu(1)
        att = F.softmax(att + mask, dim=-1)
        a = torch.matmul(att, v).transpose(1, 2).reshape(B, L, -1)
        x = x + s.o(a)
        return x + s.down(F.silu(s.gate(s.n2(x))) * s.up(s.n2(x)))


class BartSelfAttention(nn.Module):
    """Hugging Face BartAttention as a decoder self-attention with its causal mask (added in
    session 8, after this trial found it unfused: heads merged into the batch for bmm)."""
    def __init__(s, d=512, h=8):
        super().__init__(); s.h, s.dh = h, d // h; s.scaling = s.dh ** -0.5
        s.q_proj = nn.Linear(d, d); s.k_proj = nn.Linear(d, d); s.v_proj = nn.Linear(d, d)
        s.out_proj = nn.Linear(d, d)
    def _shape(s, t, n, b):
        return t.view(b, n, s.h, s.dh).transpose(1, 2).contiguous()
    def forward(s, x):
        b, t, e = x.size()
        m = torch.full((t, t), torch.finfo(x.dtype).min); c = torch.arange(m.size(-1))
        m.masked_fill_(c < (c + 1).view(m.size(-1), 1), 0)
        return s.attend(x, x, m[None, None, :, :].expand(b, 1, t, t))
    def attend(s, x, kv, m):
        b, t, e = x.size()
        q = s.q_proj(x) * s.scaling
        k = s._shape(s.k_proj(kv), -1, b); v = s._shape(s.v_proj(kv), -1, b)
        shape = (b * s.h, -1, s.dh)
        q = s._shape(q, t, b).view(*shape); k = k.reshape(*shape); v = v.reshape(*shape)
        n = k.size(1)
        w = torch.bmm(q, k.transpose(1, 2)).view(b, s.h, t, n) + m
        w = nn.functional.softmax(w.view(b * s.h, t, n), dim=-1)
        o = torch.bmm(w, v).view(b, s.h, t, s.dh).transpose(1, 2).reshape(b, t, e)
        return s.out_proj(o)

class BartCrossAttention(BartSelfAttention):
    """The same attention from the decoder to the encoder output with the encoder's padding mask
    as _expand_mask writes it (added in session 9, when named dims proved its batch merge)."""
    def forward(s, x, memory, memory_mask):
        b, t, _ = x.size()
        m = memory_mask[:, None, None, :].expand(b, 1, t, memory_mask.size(1)).to(x.dtype)
        inv = 1.0 - m
        return s.attend(x, memory, inv.masked_fill(inv.to(torch.bool), torch.finfo(x.dtype).min))

def rotate_every_two(x):
    return torch.stack((-x[:, :, :, 1::2], x[:, :, :, ::2]), dim=-1).flatten(-2)

class GPTJAttention(nn.Module):
    """Hugging Face's GPTJAttention: rotate_every_two rotary on the first rot features of q and k,
    a tril bool buffer with torch.where(mask, w, finfo.min), the scale divided after masking
    (added in session 9, with heed.rotary {interleaved})."""
    def __init__(s, d=512, h=8, rot=32, T=1024):
        super().__init__(); s.h, s.dh, s.rot = h, d // h, rot
        s.register_buffer("bias", torch.tril(torch.ones((T, T), dtype=torch.bool)).view(1, 1, T, T))
        s.scale_attn = torch.sqrt(torch.tensor(s.dh, dtype=torch.float32))
        s.q_proj = nn.Linear(d, d, bias=False); s.k_proj = nn.Linear(d, d, bias=False)
        s.v_proj = nn.Linear(d, d, bias=False); s.out_proj = nn.Linear(d, d, bias=False)
        f = torch.einsum("i , j -> i j", torch.arange(T, dtype=torch.float),
                         1.0 / (10000 ** (torch.arange(0, rot, 2) / rot)))
        s.register_buffer("sin", torch.sin(f)); s.register_buffer("cos", torch.cos(f))
    def rope(s, x):
        dup = lambda m: m.view(-1, 1).repeat(1, 2).view(m.shape[0], -1)[None, : x.shape[1], None, :]
        r = x[:, :, :, : s.rot]
        r = r * dup(s.cos) + rotate_every_two(r) * dup(s.sin)
        return torch.cat([r, x[:, :, :, s.rot:]], dim=-1)
    def forward(s, x):
        b, t, e = x.size()
        q = s.rope(s.q_proj(x).view(b, t, s.h, s.dh)).permute(0, 2, 1, 3)
        k = s.rope(s.k_proj(x).view(b, t, s.h, s.dh)).permute(0, 2, 1, 3)
        v = s.v_proj(x).view(b, t, s.h, s.dh).permute(0, 2, 1, 3)
        causal = s.bias[:, :, k.size(-2) - q.size(-2): k.size(-2), : k.size(-2)]
        w = torch.matmul(q, k.transpose(-1, -2))
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        w = F.softmax(w / s.scale_attn, dim=-1)
        return s.out_proj(torch.matmul(w, v).permute(0, 2, 1, 3).contiguous().view(b, t, e))

class DistilBertAttention(nn.Module):
    """DistilBERT's MultiHeadSelfAttention (added in session 8: its expand_as(scores) mask kept the
    scores read twice)."""
    def __init__(s, d=512, h=8):
        super().__init__(); s.h = h
        s.q_lin = nn.Linear(d, d); s.k_lin = nn.Linear(d, d); s.v_lin = nn.Linear(d, d)
        s.out_lin = nn.Linear(d, d)
    def forward(s, x, mask):
        bs, n, dim = x.size(); dh = dim // s.h
        sh = lambda t: t.view(bs, -1, s.h, dh).transpose(1, 2)
        q = sh(s.q_lin(x)) / math.sqrt(dh); k = sh(s.k_lin(x)); v = sh(s.v_lin(x))
        scores = torch.matmul(q, k.transpose(2, 3))
        mask = (mask == 0).view(bs, 1, 1, n).expand_as(scores)
        scores = scores.masked_fill(mask, torch.tensor(torch.finfo(scores.dtype).min))
        c = torch.matmul(F.softmax(scores, dim=-1), v).transpose(1, 2).contiguous()
        return s.out_lin(c.view(bs, -1, s.h * dh))


def families():
    am = torch.ones(4, 256, dtype=torch.int64)
    am[1:, 200:] = 0
    return {
        "gpt2_block B4 T256": (GPT2Block(), [torch.randn(4, 256, 512)], ["x"],
                               {"x": {0: "B", 1: "T"}}),
        "bert_layer B4 L256": (BertLayer(), [torch.randn(4, 256, 512), am],
                               ["x", "attention_mask"],
                               {"x": {0: "B", 1: "L"}, "attention_mask": {0: "B", 1: "L"}}),
        "t5_layer B4 L256": (T5Layer(), [torch.randn(4, 256, 512)], ["x"], {"x": {0: "B", 1: "L"}}),
        "llama_block B4 L256": (Llama(), [torch.randn(4, 256, 512)], ["x"],
                                {"x": {0: "B", 1: "L"}}),
        "bart_self_attention B4 T256": (BartSelfAttention(), [torch.randn(4, 256, 512)], ["x"],
                                        {"x": {0: "B", 1: "T"}}),
        "bart_cross_attention B4 T256 S256": (BartCrossAttention(), [torch.randn(4, 256, 512),
                                                                     torch.randn(4, 256, 512), am],
                                              ["x", "memory", "memory_mask"],
                                              {"x": {0: "B", 1: "T"}, "memory": {0: "B", 1: "S"},
                                               "memory_mask": {0: "B", 1: "S"}}),
        "distilbert_attention B4 L256": (DistilBertAttention(), [torch.randn(4, 256, 512), am],
                                         ["x", "mask"],
                                         {"x": {0: "B", 1: "L"}, "mask": {0: "B", 1: "L"}}),
        "gptj_attention B4 T256": (GPTJAttention(), [torch.randn(4, 256, 512)], ["x"],
                                   {"x": {0: "B", 1: "T"}}),
        "luong_gru_step B32 S128": (LuongGruStep(), [torch.randint(0, 4000, (32,)),
                                                     torch.randn(1, 32, 512),
                                                     torch.randn(32, 128, 512)],
                                    ["y", "h", "enc"],
                                    {"y": {0: "B"}, "h": {1: "B"}, "enc": {0: "B", 1: "S"}}),
    }


def median_ms(f, min_time=2.0):
    f()
    times, start = [], time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - start < min_time and len(times) < 500):
        t0 = time.perf_counter()
        f()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)[len(times) // 2]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--only", default="", help="run only the families whose name contains this")
    args = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    module = subprocess.run([os.path.join(ROOT, "bench", "onnxruntime", "install.sh")], check=True,
                            capture_output=True, text=True).stdout.strip()
    work = tempfile.mkdtemp(prefix="heed-perf-families-")
    print("| family | torch ms | onnxruntime ms | Heed ms | ort / Heed | torch / Heed | outputs |")
    print("|---|---|---|---|---|---|---|")
    for name, (model, inputs, names, axes) in families().items():
        if args.only not in name:
            continue
        d = os.path.join(work, name.split()[0])
        os.makedirs(d)
        model.eval()
        onnx = os.path.join(d, "model.onnx")
        torch.onnx.export(model, tuple(inputs), onnx, opset_version=14, input_names=names,
                          dynamic_axes=axes)
        with torch.inference_mode():
            ref = model(*inputs)
            torch_ms = median_ms(lambda: model(*inputs))
        ref = ref if isinstance(ref, tuple) else (ref,)
        ins = []
        for i, a in enumerate(inputs):
            ins.append(os.path.join(d, f"in_{i}.npy"))
            np.save(ins[-1], a.numpy())
        exp = []
        for i, r in enumerate(ref):
            exp.append(os.path.join(d, f"torch_{i}.npy"))
            np.save(exp[-1], r.numpy())
        ort = subprocess.run(["node", os.path.join(ROOT, "bench", "onnxruntime", "run.mjs"), onnx, d,
                              str(args.threads), "2"] + ins, capture_output=True, text=True,
                             env={**os.environ, "HEED_ORT_MODULE": module}, check=True)
        ort_ms = json.loads(ort.stdout.strip().splitlines()[-1])["median_ms"]
        heed = subprocess.run([os.path.join(args.build, "bin", "heed-run"), onnx,
                               f"--threads={args.threads}", "--repeat=40", "--print-stats"] +
                              [f"--input=@{i}" for i in ins] +
                              [f"--expected-output=@{e}" for e in exp],
                              capture_output=True, text=True)
        heed_ms = float(re.search(r"median ([0-9.]+) ms", heed.stdout).group(1))
        agree = all(np.allclose(np.load(os.path.join(d, f"ort_out_{i}.npy")), r.numpy(),
                                atol=1e-4, rtol=1e-3) for i, r in enumerate(ref))
        verdict = ("ok" if heed.returncode == 0 else "Heed MISMATCH") + ("" if agree else
                                                                         ", ort mismatch")
        print(f"| {name} | {torch_ms:.2f} | {ort_ms:.2f} | {heed_ms:.2f} | {ort_ms / heed_ms:.2f} | "
              f"{torch_ms / heed_ms:.2f} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
