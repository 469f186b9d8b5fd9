#!/usr/bin/python3
"""PyTorch exports as users write them, timed in PyTorch, onnxruntime and Heed on the same .onnx file.

usage: bench/exports.py [--build DIR] [--threads N] [--cases REGEX] [--sizes small,large]
                        [--min-time S] [--workdir DIR] [--markdown FILE]

Each case is a module written the way PyTorch code writes it (shape-derived scales, triu causal
masks, masked_fill(-inf), nn.MultiheadAttention / TransformerEncoderLayer / TransformerDecoderLayer,
nn.LSTM / nn.GRU, a Bahdanau GRU decoder step, a Transformer decoder step with a KV cache),
exported with torch.onnx.export (opset 14, dynamic batch and length, outside no_grad so the modules
take their exportable paths), at two sizes: small (latency bound) and large (compute bound). The
same .onnx file and the same inputs then run in:
- PyTorch 1.13 eager (the module itself, inference_mode, torch.set_num_threads(N), in a child
  process with OpenBLAS-OpenMP and glibc malloc tuned: its best configuration here);
- onnxruntime (onnxruntime-node's CPU library through bench/onnxruntime/run.mjs: all graph
  optimisations, intraOpNumThreads = N; installed on first use by bench/onnxruntime/install.sh into
  ~/.cache/heed-bench, a benchmark-only dependency);
- Heed (`heed-run MODEL.onnx --repeat --print-stats --threads=N`: compiled in memory, then timed).
Every output of onnxruntime and Heed is compared with torch's (atol 1e-4, rtol 1e-3): a mismatch is
printed in the table, never hidden. Prints median ms and the ratios onnxruntime / Heed and torch /
Heed (> 1: Heed is faster), for the attention-only cases Heed's time against the fused kernel
alone (heed.attention with the same shapes and mask), and how far Heed is from its GEMM floor: the case's matrix-product
GFLOP (torch's profiler) at oneDNN sgemm's GFLOP/s on this machine (measured first; issue 16 asks
for >= 80% of it). Benchmarks are not tests; quote ratios measured in one run on a quiet
machine.
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TORCH_ENV = {
    "LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu/openblas-openmp",
    "MALLOC_MMAP_THRESHOLD_": "4294967296",
    "MALLOC_TRIM_THRESHOLD_": "68719476736",
    "MALLOC_TOP_PAD_": "536870912",
}


# ---- The cases: (name, size) -> (module, example inputs, input names, dynamic axes) ----------------

def cases(size):
    import torch
    import torch.nn as nn

    small = size == "small"
    torch.manual_seed(0)

    class Sdpa(nn.Module):
        """softmax(q k^T / sqrt(d) + causal) v, the mask from triu of the query length."""

        def __init__(self, causal):
            super().__init__()
            self.causal = causal

        def forward(self, q, k, v):
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
            if self.causal:
                L = q.size(-2)
                mask = torch.triu(torch.full((L, L), float("-inf")), diagonal=1)
                scores = scores + mask
            return torch.softmax(scores, dim=-1) @ v

    class MaskedFillSdpa(nn.Module):
        """The masked_fill spelling with a bool key padding mask [B, 1, 1, L]."""

        def forward(self, q, k, v, pad):
            scores = torch.matmul(q, k.transpose(-2, -1)) * (q.size(-1) ** -0.5)
            scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
            return torch.matmul(scores.softmax(-1), v)

    class Mha(nn.Module):
        def __init__(self, both):
            super().__init__()
            self.attn = nn.MultiheadAttention(512, 8, batch_first=True)
            self.both = both

        def forward(self, x, pad):
            mask = None
            if self.both:
                L = x.size(1)
                mask = torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1)
            return self.attn(x, x, x, key_padding_mask=pad, attn_mask=mask, need_weights=False)[0]

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.TransformerEncoderLayer(512, 8, 2048, dropout=0.0, batch_first=True)

        def forward(self, x, pad):
            return self.layer(x, src_key_padding_mask=pad)

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.TransformerDecoderLayer(512, 8, 2048, dropout=0.0, batch_first=True)

        def forward(self, y, memory, memory_pad):
            T = y.size(1)
            causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
            return self.layer(y, memory, tgt_mask=causal, memory_key_padding_mask=memory_pad)

    class Rnn(nn.Module):
        def __init__(self, kind, hidden):
            super().__init__()
            self.rnn = getattr(nn, kind)(hidden, hidden)

        def forward(self, x):
            return self.rnn(x)[0]

    class BahdanauGruStep(nn.Module):
        """One decoder step of a GRU with Bahdanau attention (the seq2seq tutorials' decoder):
        additive scores masked_fill(-inf) on source padding, bmm context, GRUCell, log_softmax."""

        def __init__(self, vocab, hidden):
            super().__init__()
            self.embed = nn.Embedding(vocab, hidden)
            self.w_q = nn.Linear(hidden, hidden, bias=False)
            self.w_k = nn.Linear(hidden, hidden, bias=False)
            self.v = nn.Linear(hidden, 1, bias=False)
            self.cell = nn.GRUCell(2 * hidden, hidden)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, y, h, enc, src_pad):
            scores = self.v(torch.tanh(self.w_q(h).unsqueeze(1) + self.w_k(enc))).squeeze(-1)
            weights = torch.softmax(scores.masked_fill(src_pad, float("-inf")), dim=-1)
            context = torch.bmm(weights.unsqueeze(1), enc).squeeze(1)
            h = self.cell(torch.cat([self.embed(y), context], dim=-1), h)
            return torch.log_softmax(self.out(h), dim=-1)

    class KvCacheStep(nn.Module):
        """One Transformer decoder step with a KV cache: the new token's keys and values
        concatenated to the past ones, pre-norm self-attention with a shape-derived scale, FFN."""

        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
            self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Linear(4 * d, d))

        def forward(self, x, past_k, past_v):
            B = x.size(0)
            split = lambda t: t.view(B, -1, self.heads, t.size(-1) // self.heads).transpose(1, 2)
            h = self.norm1(x)
            q = split(self.q(h))
            k = torch.cat([past_k, split(self.k(h))], dim=2)
            v = torch.cat([past_v, split(self.v(h))], dim=2)
            a = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), dim=-1) @ v
            x = x + self.o(a.transpose(1, 2).reshape(B, -1, x.size(-1)))
            return x + self.ff(self.norm2(x))

    def pad_mask(B, L):
        pad = torch.zeros(B, L, dtype=torch.bool)
        pad[1:, L - L // 4:] = True  # the later rows end early
        return pad

    out = {}
    B, H, L, D = (1, 8, 512, 64) if small else (1, 16, 2048, 64)
    qkv = [torch.randn(B, H, L, D) for _ in range(3)]
    axes = {n: {0: "B", 2: "L"} for n in ("q", "k", "v")}
    out["sdpa_causal"] = (Sdpa(True), qkv, ["q", "k", "v"], axes)
    out["sdpa_nomask"] = (Sdpa(False), qkv, ["q", "k", "v"], axes)
    Bp, Lp = (4, 128) if small else (4, 512)
    qkv = [torch.randn(Bp, 8, Lp, 64) for _ in range(3)]
    out["sdpa_masked_fill"] = (MaskedFillSdpa(), qkv + [pad_mask(Bp, Lp)], ["q", "k", "v", "pad"],
                               {**{n: {0: "B", 2: "L"} for n in "qkv"}, "pad": {0: "B", 1: "L"}})
    Bm, Lm = (4, 128) if small else (4, 512)
    x = torch.randn(Bm, Lm, 512)
    xaxes = {"x": {0: "B", 1: "L"}, "pad": {0: "B", 1: "L"}}
    out["mha_padding"] = (Mha(False), [x, pad_mask(Bm, Lm)], ["x", "pad"], xaxes)
    out["mha_causal_padding"] = (Mha(True), [x, pad_mask(Bm, Lm)], ["x", "pad"], xaxes)
    Be, Le = (4, 64) if small else (4, 256)
    out["encoder_layer"] = (Encoder(), [torch.randn(Be, Le, 512), pad_mask(Be, Le)], ["x", "pad"],
                            {"x": {0: "B", 1: "L"}, "pad": {0: "B", 1: "L"}})
    out["decoder_layer"] = (Decoder(), [torch.randn(Be, Le // 2, 512), torch.randn(Be, Le, 512),
                                        pad_mask(Be, Le)], ["y", "memory", "memory_pad"],
                            {"y": {0: "B", 1: "T"}, "memory": {0: "B", 1: "S"},
                             "memory_pad": {0: "B", 1: "S"}})
    T, Br, Hr = (16, 4, 256) if small else (64, 16, 512)
    for kind in ("LSTM", "GRU"):
        out[kind.lower()] = (Rnn(kind, Hr), [torch.randn(T, Br, Hr)], ["x"], {"x": {0: "T", 1: "B"}})
    Bb, Sb, Hb, Vb = (4, 32, 256, 1000) if small else (32, 128, 512, 8000)
    out["bahdanau_gru_step"] = (
        BahdanauGruStep(Vb, Hb), [torch.randint(0, Vb, (Bb,)), torch.randn(Bb, Hb),
                                  torch.randn(Bb, Sb, Hb), pad_mask(Bb, Sb)],
        ["y", "h", "enc", "src_pad"], {"y": {0: "B"}, "h": {0: "B"}, "enc": {0: "B", 1: "S"},
                                       "src_pad": {0: "B", 1: "S"}})
    Bk, Pk = (4, 32) if small else (16, 512)
    out["kv_cache_step"] = (
        KvCacheStep(512, 8), [torch.randn(Bk, 1, 512), torch.randn(Bk, 8, Pk, 64),
                              torch.randn(Bk, 8, Pk, 64)],
        ["x", "past_k", "past_v"], {"x": {0: "B"}, "past_k": {0: "B", 2: "P"},
                                    "past_v": {0: "B", 2: "P"}})
    return out


# ---- Running ---------------------------------------------------------------------------------------

GEMM_OPS = ("aten::mm", "aten::bmm", "aten::addmm", "aten::baddbmm")


def gemm_gflop(module, inputs):
    """The case's matrix-product work, counted by torch's profiler. Outside inference_mode, so
    the modules take their composite paths (the fused fast paths report no FLOPs)."""
    import torch

    with torch.profiler.profile(with_flops=True) as prof:
        module(*inputs)
    return sum(e.flops for e in prof.key_averages() if e.key in GEMM_OPS) / 1e9


def sgemm_gflops(args, workdir, n=2048):
    """oneDNN sgemm's speed on this machine: heed-run of one n^3 f32 matmul (Heed calls
    dnnl_sgemm for it), the ceiling that issue 16 measures whole layers' GEMM work against."""
    import numpy as np

    d = os.path.join(workdir, "sgemm")
    os.makedirs(d, exist_ok=True)
    t = f"tensor<{n}x{n}xf32>"
    with open(os.path.join(d, "sgemm.mlir"), "w") as f:
        f.write(f"func.func @main(%a: {t}, %b: {t}) -> {t} {{\n"
                f"  %c = heed.matmul %a, %b : ({t}, {t}) -> {t}\n  return %c : {t}\n}}\n")
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        np.save(os.path.join(d, f"{name}.npy"), rng.standard_normal((n, n), dtype=np.float32))
    out = subprocess.run([os.path.join(args.build, "bin", "heed-run"), os.path.join(d, "sgemm.mlir"),
                          f"--threads={args.threads}", "--repeat=10", "--print-stats",
                          f"--input=@{d}/a.npy", f"--input=@{d}/b.npy"],
                         capture_output=True, text=True, env=clean_env(), check=True)
    return 2 * n ** 3 / float(re.search(r"median ([0-9.]+) ms", out.stdout).group(1)) / 1e6


# Attention-only cases: the fused kernel's mask for the same shapes, timed alone (issue 16: the
# export within 1.2x of the kernel). The padding mask is inverted: heed's boolean mask is true
# where a key may be seen, masked_fill's where it may not.
KERNEL_MASKS = {"sdpa_causal": "causal", "sdpa_nomask": None, "sdpa_masked_fill": "boolean"}


def run_kernel(args, case, d):
    """heed-run of one heed.attention with the case's inputs and mask; its median ms."""
    import numpy as np

    mask = KERNEL_MASKS[case.split("/")[0]]
    q = np.load(os.path.join(d, "in_0.npy"))
    B, H, L, D = q.shape
    t = f"tensor<{B}x{H}x{L}x{D}xf32>"
    ins = [f"--input=@{os.path.join(d, f'in_{i}.npy')}" for i in range(3)]
    types, operands, attrs = [t] * 3, ["%q", "%k", "%v"], [f"scale = {D ** -0.5:.9g} : f32"]
    if mask == "boolean":
        np.save(os.path.join(d, "kernel_mask.npy"), ~np.load(os.path.join(d, "in_3.npy"))[:, None, None, :])
        ins.append(f"--input=@{os.path.join(d, 'kernel_mask.npy')}")
        types.append(f"tensor<{B}x1x1x{L}xi1>")
        operands.append("%m")
    if mask:
        attrs.append(f"mask_kind = #heed<mask {mask}>")
    args_sig = ", ".join(f"{o}: {ty}" for o, ty in zip(operands, types))
    with open(os.path.join(d, "kernel.mlir"), "w") as f:
        f.write(f"func.func @main({args_sig}) -> {t} {{\n"
                f"  %o = heed.attention {', '.join(operands)} {{{', '.join(attrs)}}} : "
                f"({', '.join(types)}) -> {t}\n  return %o : {t}\n}}\n")
    reps = max(5, int(args.min_time * 20))
    out = subprocess.run([os.path.join(args.build, "bin", "heed-run"), os.path.join(d, "kernel.mlir"),
                          f"--threads={args.threads}", f"--repeat={reps}", "--print-stats"] + ins,
                         capture_output=True, text=True, env=clean_env())
    if out.returncode != 0:
        return None
    return float(re.search(r"median ([0-9.]+) ms", out.stdout).group(1))


def torch_child(args):
    """In the tuned child: export every case, save inputs and torch's outputs, time torch."""
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    report = {}
    for size in args.sizes.split(","):
        for name, (module, inputs, names, axes) in cases(size).items():
            if not re.search(args.cases, name):
                continue
            case = f"{name}/{size}"
            d = os.path.join(args.workdir, name, size)
            os.makedirs(d, exist_ok=True)
            module.eval()
            path = os.path.join(d, "model.onnx")
            torch.onnx.export(module, tuple(inputs), path, input_names=names, output_names=["out"],
                              dynamic_axes={**axes, "out": {0: "B"}}, opset_version=14)
            for i, t in enumerate(inputs):
                np.save(os.path.join(d, f"in_{i}.npy"), t.numpy())
            with torch.inference_mode():
                ref = module(*inputs)
                for _ in range(3):
                    module(*inputs)
                times = []
                start = time.perf_counter()
                while len(times) < 5 or (time.perf_counter() - start < args.min_time and len(times) < 1000):
                    t0 = time.perf_counter()
                    module(*inputs)
                    times.append((time.perf_counter() - t0) * 1e3)
            np.save(os.path.join(d, "torch_out_0.npy"), ref.numpy())
            times.sort()
            report[case] = {"dir": d, "inputs": len(inputs), "torch_ms": times[len(times) // 2],
                            "gemm_gflop": gemm_gflop(module, inputs)}
    json.dump(report, sys.stdout)


def compare(got_path, ref_path):
    import numpy as np

    if not os.path.exists(got_path):
        return "no output"
    got, ref = np.load(got_path), np.load(ref_path)
    if got.shape != ref.shape:
        return f"shape {got.shape} != {ref.shape}"
    bad = ~np.isclose(got, ref, atol=1e-4, rtol=1e-3, equal_nan=True)
    return "ok" if not bad.any() else f"MISMATCH max abs {np.nanmax(np.abs(got - ref)):.2g}"


def clean_env():
    return {k: v for k, v in os.environ.items() if k not in TORCH_ENV}


def run_ort(args, module, d, n):
    ins = [os.path.join(d, f"in_{i}.npy") for i in range(n)]
    out = subprocess.run(["node", os.path.join(HERE, "onnxruntime", "run.mjs"),
                          os.path.join(d, "model.onnx"), d, str(args.threads), str(args.min_time)] + ins,
                         capture_output=True, text=True, env={**clean_env(), "HEED_ORT_MODULE": module})
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"
    return json.loads(out.stdout.strip().splitlines()[-1])["median_ms"], None


def run_heed(args, d, n):
    reps = max(5, int(args.min_time * 20))
    cmd = [os.path.join(args.build, "bin", "heed-run"), os.path.join(d, "model.onnx"),
           f"--threads={args.threads}", f"--repeat={reps}", "--print-stats",
           f"--output=@{os.path.join(d, 'heed_out_0.npy')}"]
    cmd += [f"--input=@{os.path.join(d, f'in_{i}.npy')}" for i in range(n)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=clean_env())
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"
    m = re.search(r"median ([0-9.]+) ms", out.stdout)
    return float(m.group(1)), None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cases", default=".")
    p.add_argument("--sizes", default="small,large")
    p.add_argument("--min-time", type=float, default=2.0)
    p.add_argument("--workdir", default=None)
    p.add_argument("--markdown", default=None)
    p.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_child:
        return torch_child(args)
    workdir = args.workdir or tempfile.mkdtemp(prefix="heed-exports-")
    module = subprocess.run([os.path.join(HERE, "onnxruntime", "install.sh")], check=True,
                            capture_output=True, text=True).stdout.strip()
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-child",
                            "--threads", str(args.threads), "--cases", args.cases, "--sizes", args.sizes,
                            "--min-time", str(args.min_time), "--workdir", workdir],
                           capture_output=True, text=True, env={**os.environ, **TORCH_ENV})
    if child.returncode != 0:
        sys.exit("torch child failed:\n" + child.stderr)
    report = json.loads(child.stdout)
    gflops = sgemm_gflops(args, workdir)
    print(f"oneDNN sgemm 2048^3: {gflops:.0f} GFLOP/s on {args.threads} threads; GEMM floor = "
          "the case's matrix-product GFLOP at that speed", flush=True)
    rows = ["| case | torch ms | onnxruntime ms | Heed ms | ort / Heed | torch / Heed | GEMM GFLOP | "
            "Heed / GEMM floor | Heed / kernel | ort vs torch | Heed vs torch |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for case, r in report.items():
        ort_ms, ort_err = run_ort(args, module, r["dir"], r["inputs"])
        heed_ms, heed_err = run_heed(args, r["dir"], r["inputs"])
        ref = os.path.join(r["dir"], "torch_out_0.npy")
        ort_ok = ort_err or compare(os.path.join(r["dir"], "ort_out_0.npy"), ref)
        heed_ok = heed_err or compare(os.path.join(r["dir"], "heed_out_0.npy"), ref)
        fmt = lambda v: f"{v:.2f}" if v is not None else "-"
        ratio = lambda a, b: f"{a / b:.2f}" if a is not None and b else "-"
        floor_ms = r["gemm_gflop"] / gflops * 1e3
        kernel_ms = run_kernel(args, case, r["dir"]) if case.split("/")[0] in KERNEL_MASKS else None
        rows.append(f"| {case} | {fmt(r['torch_ms'])} | {fmt(ort_ms)} | {fmt(heed_ms)} | "
                    f"{ratio(ort_ms, heed_ms)} | {ratio(r['torch_ms'], heed_ms)} | {r['gemm_gflop']:.3f} | "
                    f"{ratio(heed_ms, floor_ms)} | {ratio(heed_ms, kernel_ms)} | {ort_ok} | {heed_ok} |")
        print(rows[-1], flush=True)
    print("\n".join(rows[:2]))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(f"oneDNN sgemm 2048^3: {gflops:.0f} GFLOP/s on {args.threads} threads\n\n")
            f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
