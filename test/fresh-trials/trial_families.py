"""Issue 19 as a new user: attention blocks written the way people write them, exported as single
graphs (opsets 14 and 17, dynamic batch and length); heed-compile --fusion-report must say every
softmax fused, and heed-run on the CPU and on Vulkan must equal torch at two shapes through one
module.

    PYTHONPATH= /usr/bin/python3 test/fresh-trials/trial_families.py [--only=NAME,...]
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import common  # noqa: E402

D, HEADS = 32, 4


class MHABlock(nn.Module):
    """nn.MultiheadAttention self-attention with a key padding mask, residual, LayerNorm."""

    AXES = {"x": {0: "batch", 1: "len"}, "key_padding_mask": {0: "batch", 1: "len"},
            "out0": {0: "batch", 1: "len"}}

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(D, HEADS, batch_first=True)
        self.norm = nn.LayerNorm(D)

    def forward(self, x, key_padding_mask):
        y, _ = self.attn(x, x, x, key_padding_mask=key_padding_mask, need_weights=False)
        return self.norm(x + y)

    @staticmethod
    def inputs(B, L, rng):
        kpm = np.zeros((B, L), dtype=bool)
        kpm[0, L - 2:] = True
        return [rng.standard_normal((B, L, D)).astype(np.float32), kpm], ["x", "key_padding_mask"]


class CausalSelfAttention(nn.Module):
    """GPT-style: one qkv Linear, split, heads, q @ k^T / sqrt(q.size(-1)), masked_fill(-inf)."""

    AXES = {"x": {0: "batch", 1: "len"}, "out0": {0: "batch", 1: "len"}}

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        k = k.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        v = v.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = att.masked_fill(~mask, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)

    @staticmethod
    def inputs(B, L, rng):
        return [rng.standard_normal((B, L, D)).astype(np.float32)], ["x"]


class LuongGeneral(nn.Module):
    """One decoder step of Luong's general attention with bmm, a source mask and the attentional
    vector tanh(W_c [c; h])."""

    AXES = {"h_t": {0: "batch"}, "encoder_outputs": {0: "batch", 1: "len"},
            "src_mask": {0: "batch", 1: "len"}, "out0": {0: "batch"}, "out1": {0: "batch", 1: "len"}}

    def __init__(self):
        super().__init__()
        self.W_a = nn.Linear(D, D, bias=False)
        self.W_c = nn.Linear(2 * D, D, bias=False)

    def forward(self, h_t, encoder_outputs, src_mask):
        scores = torch.bmm(encoder_outputs, self.W_a(h_t).unsqueeze(2)).squeeze(2)
        scores = scores.masked_fill(src_mask == 0, float("-inf"))
        align = F.softmax(scores, dim=1)
        context = torch.bmm(align.unsqueeze(1), encoder_outputs).squeeze(1)
        return torch.tanh(self.W_c(torch.cat([context, h_t], dim=1))), align

    @staticmethod
    def inputs(B, L, rng):
        mask = np.ones((B, L), dtype=np.int64)
        mask[-1, L // 2:] = 0
        return [rng.standard_normal((B, D)).astype(np.float32),
                rng.standard_normal((B, L, D)).astype(np.float32), mask], \
            ["h_t", "encoder_outputs", "src_mask"]


class BahdanauAdditive(nn.Module):
    """Bahdanau: v^T tanh(W1 h_j + W2 s), with a source mask; returns context and weights."""

    AXES = {"query": {0: "batch"}, "values": {0: "batch", 1: "len"}, "mask": {0: "batch", 1: "len"},
            "out0": {0: "batch"}, "out1": {0: "batch", 1: "len"}}

    def __init__(self):
        super().__init__()
        self.W1 = nn.Linear(D, D, bias=False)
        self.W2 = nn.Linear(D, D)
        self.V = nn.Linear(D, 1, bias=False)

    def forward(self, query, values, mask):
        score = self.V(torch.tanh(self.W1(values) + self.W2(query).unsqueeze(1)))
        score = score.masked_fill(mask.unsqueeze(-1) == 0, -1e9)
        weights = torch.softmax(score, dim=1)
        context = torch.sum(weights * values, dim=1)
        return context, weights.squeeze(-1)

    @staticmethod
    def inputs(B, L, rng):
        mask = np.ones((B, L), dtype=np.int64)
        mask[0, L - 1:] = 0
        return [rng.standard_normal((B, D)).astype(np.float32),
                rng.standard_normal((B, L, D)).astype(np.float32), mask], \
            ["query", "values", "mask"]


class EinsumAttention(nn.Module):
    """Multi-head attention written with einsum (no mask), scale folded into q."""

    AXES = {"x": {0: "batch", 1: "len"}, "context": {0: "batch", 1: "ctx_len"},
            "out0": {0: "batch", 1: "len"}}

    def __init__(self):
        super().__init__()
        self.to_q = nn.Linear(D, D, bias=False)
        self.to_kv = nn.Linear(D, 2 * D, bias=False)
        self.to_out = nn.Linear(D, D)
        self.scale = (D // HEADS) ** -0.5

    def forward(self, x, context):
        B, N, _ = x.shape
        q = self.to_q(x).reshape(B, N, HEADS, -1)
        k, v = self.to_kv(context).chunk(2, dim=-1)
        k = k.reshape(B, k.shape[1], HEADS, -1)
        v = v.reshape(B, v.shape[1], HEADS, -1)
        sim = torch.einsum("bihd,bjhd->bhij", q * self.scale, k)
        attn = sim.softmax(dim=-1)
        out = torch.einsum("bhij,bjhd->bihd", attn, v)
        return self.to_out(out.reshape(B, N, -1))

    @staticmethod
    def inputs(B, L, rng):
        return [rng.standard_normal((B, L, D)).astype(np.float32),
                rng.standard_normal((B, L + 3, D)).astype(np.float32)], ["x", "context"]


class MultiQuery(nn.Module):
    """Multi-query attention: one K/V head expanded over HEADS query heads, causal additive mask
    from torch.triu."""

    AXES = {"x": {0: "batch", 1: "len"}, "out0": {0: "batch", 1: "len"}}

    def __init__(self):
        super().__init__()
        self.hd = D // HEADS
        self.q = nn.Linear(D, D)
        self.kv = nn.Linear(D, 2 * self.hd)
        self.o = nn.Linear(D, D)

    def forward(self, x):
        B, T, _ = x.shape
        q = self.q(x).view(B, T, HEADS, self.hd).transpose(1, 2)
        k, v = self.kv(x).split(self.hd, dim=-1)
        k = k.unsqueeze(1).expand(B, HEADS, T, self.hd)
        v = v.unsqueeze(1).expand(B, HEADS, T, self.hd)
        bias = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        w = torch.softmax(q @ k.transpose(2, 3) * self.hd ** -0.5 + bias, dim=-1)
        return self.o((w @ v).transpose(1, 2).reshape(B, T, D))

    @staticmethod
    def inputs(B, L, rng):
        return [rng.standard_normal((B, L, D)).astype(np.float32)], ["x"]


FAMILIES = {
    "mha-block": MHABlock,
    "causal-sdpa": CausalSelfAttention,
    "luong-general-bmm": LuongGeneral,
    "bahdanau-additive": BahdanauAdditive,
    "einsum-attention": EinsumAttention,
    "mqa-expand": MultiQuery,
}
SHAPES = ((2, 5), (3, 11))


def trial(report, name, cls, opset, devices, directory):
    torch.manual_seed(7)
    model = cls().eval()
    rng = np.random.default_rng(opset)
    example, names = cls.inputs(*SHAPES[0], rng)
    with torch.no_grad():
        outs = model(*[torch.from_numpy(a) for a in example])
    outs = outs if isinstance(outs, tuple) else (outs,)
    out_names = ["out%d" % i for i in range(len(outs))]
    axes = dict(cls.AXES)
    onnx_path = os.path.join(directory, "%s-%d.onnx" % (name, opset))
    try:
        torch.onnx.export(model, tuple(torch.from_numpy(a) for a in example), onnx_path,
                          opset_version=opset, input_names=names, output_names=out_names,
                          dynamic_axes=axes)
    except Exception as e:  # noqa: BLE001
        report.check(False, "%s opset %d: torch.onnx.export: %s" % (name, opset, e))
        return
    module = os.path.join(directory, "%s-%d.heedm" % (name, opset))
    p = common.tool("heed-compile", onnx_path, "--target=all", "--fusion-report", "-o", module,
                    check=False)
    tag = "%s opset %d" % (name, opset)
    if not report.check(p.returncode == 0, "%s: heed-compile%s" % (
            tag, "" if p.returncode == 0 else ": " + p.stderr.strip())):
        return
    lines = [line for line in p.stdout.splitlines() if "softmax" in line]
    fused = lines and all("fused into" in line for line in lines)
    report.check(bool(fused), "%s: %s" % (tag, "; ".join(
        line.split(": ", 1)[-1] for line in lines) or "no softmax in the report"))
    for B, L in SHAPES:
        inputs, _ = cls.inputs(B, L, np.random.default_rng(B * 31 + L))
        with torch.no_grad():
            want = model(*[torch.from_numpy(a) for a in inputs])
        want = want if isinstance(want, tuple) else (want,)
        files = []
        for i, a in enumerate(inputs):
            f = os.path.join(directory, "%s-%d-%dx%d-in%d.npy" % (name, opset, B, L, i))
            np.save(f, a)
            files.append("--input=@" + f)
        for i, w in enumerate(want):
            f = os.path.join(directory, "%s-%d-%dx%d-out%d.npy" % (name, opset, B, L, i))
            np.save(f, w.numpy())
            files.append("--expected-output=@" + f)
        for device in devices:
            p = common.tool("heed-run", module, "--device=" + device, *files, check=False)
            errs = [line.split(": ", 1)[1] for line in p.stdout.splitlines()
                    if line.startswith("output ")]
            report.check(p.returncode == 0, "%s on %s at B=%d L=%d: %s" % (
                tag, device, B, L, ", ".join(errs) if p.returncode == 0 else
                (p.stdout.strip() + " " + p.stderr.strip())[-400:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(FAMILIES))
    ap.add_argument("--opsets", default="14,17")
    ap.add_argument("--devices", default="cpu,vulkan")
    args = ap.parse_args()
    report = common.Report("trial_families")
    directory = common.out_dir("families")
    for name in args.only.split(","):
        for opset in args.opsets.split(","):
            trial(report, name, FAMILIES[name], int(opset), args.devices.split(","), directory)
    return report.done()


if __name__ == "__main__":
    sys.exit(main())
