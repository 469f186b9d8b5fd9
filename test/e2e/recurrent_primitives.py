#!/usr/bin/python3
"""heed.lstm / heed.gru / heed.rnn on both CPU paths against torch.nn.LSTM / GRU / RNN.

The CPU driver runs a sequence op as oneDNN RNN primitives where their semantics
allow and as Heed's own loop otherwise; HEED_CPU_RNN=loop forces the loop and
HEED_CPU_RNN=dnnl forces the primitives (an op they cannot run then fails, which
tells which path ran). For each case and two sizes this script writes an MLIR
module (weights as module constants, or as function arguments: the primitives
pack constant weights once and others per call), inputs and torch's float64
outputs (reverse: torch on the time-flipped input), then runs heed-run in each
of the case's modes, twice in one process (--repeat=2: the second run uses the
packed weights kept from the first), and compares (atol 1e-4, rtol 1e-3).
Prints "PASS CASE/SIZE/MODE", "REFUSED CASE/SIZE/MODE: message" where a mode
must refuse, or "FAIL ...".

Usage: recurrent_primitives.py OUTDIR TOOLS_DIR   (run with /usr/bin/python3)
"""

import os
import subprocess
import sys

import zlib

import numpy as np
import torch

SIZES = {"small": (5, 3, 4, 6), "large": (17, 6, 24, 40)}  # T, B, I, H

# lengths: None, "full" (every row runs all T steps) or "varied".
CASES = {
    "lstm_bidir_2layers_init": dict(kind="LSTM", layers=2, bidirectional=True, init=True),
    "lstm_args_batch_first": dict(kind="LSTM", batch_first=True, init=True, weights="args"),
    "lstm_reverse_nobias": dict(kind="LSTM", reverse=True, bias=False, init=True),
    "lstm_full_lengths": dict(kind="LSTM", bidirectional=True, init=True, lengths="full"),
    "lstm_varied_lengths": dict(kind="LSTM", bidirectional=True, init=True, lengths="varied",
                                modes=("auto", "loop"), refuse="per-row lengths"),
    "gru_bidir_init": dict(kind="GRU", bidirectional=True, init=True),
    "gru_2layers_args": dict(kind="GRU", layers=2, weights="args", batch_first=True),
    "gru_reverse_init": dict(kind="GRU", reverse=True, init=True),
    "gru_varied_lengths": dict(kind="GRU", init=True, lengths="varied", modes=("auto", "loop"),
                               refuse="per-row lengths"),
    "rnn_tanh_bidir_init": dict(kind="RNN", bidirectional=True, init=True),
    "rnn_relu_2layers_reverse": dict(kind="RNN", nonlinearity="relu", layers=2, reverse=True,
                                     init=True),
}

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def mlir_type(shape):
    return "tensor<" + "x".join("?" if d is None else str(d) for d in shape) + "xf32>"


def dense(a):
    return 'dense<"0x' + np.ascontiguousarray(a, dtype="<f4").tobytes().hex().upper() + '">'


def build(name, spec, T, B, I, H, out):
    """Writes module.mlir, inputs and references; returns (inputs, refs) file lists."""
    kind, L = spec["kind"], spec.get("layers", 1)
    bidir, reverse = spec.get("bidirectional", False), spec.get("reverse", False)
    bf, bias = spec.get("batch_first", False), spec.get("bias", True)
    D = 2 if bidir else 1
    r = np.random.default_rng(zlib.crc32(f"{name}{T}".encode()))
    args = dict(num_layers=L, bidirectional=bidir, batch_first=bf, bias=bias)
    if kind == "RNN":
        args["nonlinearity"] = spec.get("nonlinearity", "tanh")
    m = getattr(torch.nn, kind)(I, H, **args).double()
    weights = []  # Heed's order: per layer, per direction, w_ih w_hh [b_ih b_hh]
    with torch.no_grad():
        for l in range(L):
            for s in ("", "_reverse")[:D]:
                for k in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if bias else ()):
                    p = getattr(m, f"{k}_l{l}{s}")
                    v = np.float32(r.uniform(-0.5, 0.5, tuple(p.shape)))
                    p.copy_(torch.from_numpy(v.astype(np.float64)))
                    weights.append(v)
    xs = (B, T, I) if bf else (T, B, I)
    x = np.float32(r.standard_normal(xs))
    h0 = np.float32(r.standard_normal((L * D, B, H)) * 0.5)
    c0 = np.float32(r.standard_normal((L * D, B, H)) * 0.5)
    lengths = None
    if spec.get("lengths") == "full":
        lengths = np.full(B, T, dtype=np.int64)
    elif spec.get("lengths") == "varied":
        lengths = np.array([T - (b * 3) % T for b in range(B)], dtype=np.int64)
        lengths[-1] = 1
    init = spec.get("init", False)
    t_axis = 1 if bf else 0
    with torch.no_grad():
        xin = torch.from_numpy(np.flip(x, t_axis).copy() if reverse else x).double()
        state = None
        if init:
            hs = torch.from_numpy(h0).double()
            state = (hs, torch.from_numpy(c0).double()) if kind == "LSTM" else hs
        if lengths is not None:
            xin = torch.nn.utils.rnn.pack_padded_sequence(
                xin, torch.from_numpy(lengths), batch_first=bf, enforce_sorted=False)
        y, st = m(xin, state)
        if lengths is not None:
            y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=bf, total_length=T)
        y = y.numpy()
        if reverse:
            y = np.flip(y, t_axis)
        finals = [s.numpy() for s in (st if kind == "LSTM" else (st,))]
    files = {"x": x}
    ins = ["x"]
    if init:
        files["h0"] = h0
        ins.append("h0")
        if kind == "LSTM":
            files["c0"] = c0
            ins.append("c0")
    if lengths is not None:
        files["len"] = lengths
        ins.append("len")
    as_args = spec.get("weights") == "args"
    for i, w in enumerate(weights):
        files[f"w{i}"] = w
        if as_args:
            ins.append(f"w{i}")
    refs = ["ref_y", "ref_h"] + (["ref_c"] if kind == "LSTM" else [])
    for n, a in zip(refs, [y] + finals):
        files[n] = np.float32(a)
    for n, a in files.items():
        np.save(os.path.join(out, n + ".npy"), a)

    # The module: one function, weights as constants or arguments.
    xt = mlir_type((B, None, I) if bf else (None, B, I))
    yt = mlir_type((B, None, D * H) if bf else (None, B, D * H))
    st = mlir_type((L * D, B, H))
    params, types, body = ["%x"], [xt], []
    op_types = [xt]
    init_part, len_part = "", ""
    if init:
        hs = ["%h0"] + (["%c0"] if kind == "LSTM" else [])
        params += hs
        types += [st] * len(hs)
        op_types += [st] * len(hs)
        init_part = " init(" + ", ".join(hs) + ")"
    if lengths is not None:
        params.append("%len")
        types.append(f"tensor<{B}xi64>")
        op_types.append(f"tensor<{B}xi64>")
        len_part = " lengths %len"
    wnames = []
    for i, w in enumerate(weights):
        wt = mlir_type(w.shape)
        if as_args:
            params.append(f"%w{i}")
            types.append(wt)
        else:
            body.append(f"  %w{i} = arith.constant {dense(w)} : {wt}")
        wnames.append(f"%w{i}")
        op_types.append(wt)
    attrs = [f"hidden_size = {H}", f"num_layers = {L}", f"bidirectional = {str(bidir).lower()}",
             f"batch_first = {str(bf).lower()}", f"has_biases = {str(bias).lower()}",
             f"reverse = {str(reverse).lower()}"]
    if kind == "RNN" and spec.get("nonlinearity") == "relu":
        attrs.append("activation = #heed<rnn_activation relu>")
    results = [yt, st] + ([st] if kind == "LSTM" else [])
    n = len(results)
    body.append(f"  %y:{n} = heed.{kind.lower()} %x{init_part}{len_part} weights("
                + ", ".join(wnames) + ") {" + ", ".join(attrs) + "} : ("
                + ", ".join(op_types) + ") -> (" + ", ".join(results) + ")")
    body.append("  return " + ", ".join(f"%y#{i}" for i in range(n)) + " : "
                + ", ".join(results))
    sig = ", ".join(f"{p}: {t}" for p, t in zip(params, types))
    text = (f"func.func @f({sig}) -> (" + ", ".join(results) + ") {\n" + "\n".join(body)
            + "\n}\n")
    with open(os.path.join(out, "module.mlir"), "w") as f:
        f.write(text)
    return ins, refs


def main():
    out, tools = sys.argv[1], sys.argv[2]
    failed = 0
    for name, spec in CASES.items():
        for size, (T, B, I, H) in SIZES.items():
            d = os.path.join(out, name, size)
            os.makedirs(d, exist_ok=True)
            ins, refs = build(name, spec, T, B, I, H, d)
            mod = os.path.join(d, "m.heedm")
            c = subprocess.run([os.path.join(tools, "heed-compile"),
                                os.path.join(d, "module.mlir"), "-o", mod],
                               capture_output=True, text=True)
            if c.returncode != 0:
                print(f"FAIL {name}/{size}: heed-compile: {c.stderr.strip()}")
                failed += 1
                continue
            modes = spec.get("modes", ("auto", "dnnl", "loop"))
            if "refuse" in spec:
                modes = tuple(modes) + ("dnnl",)
            for mode in modes:
                cmd = [os.path.join(tools, "heed-run"), mod, "--repeat=2"]
                cmd += [f"--input=@{os.path.join(d, i + '.npy')}" for i in ins]
                cmd += [f"--expected-output=@{os.path.join(d, r + '.npy')}" for r in refs]
                env = dict(os.environ, HEED_CPU_RNN=mode)
                p = subprocess.run(cmd, capture_output=True, text=True, env=env)
                tag = f"{name}/{size}/{mode}"
                err = (p.stderr.strip().splitlines() or [""])[-1]
                if mode == "dnnl" and "refuse" in spec:
                    if p.returncode == 1 and spec["refuse"] in err:
                        print(f"REFUSED {tag}: {spec['refuse']}")
                    else:
                        print(f"FAIL {tag}: expected a refusal, got status {p.returncode}: {err}")
                        failed += 1
                elif p.returncode == 0:
                    print(f"PASS {tag}")
                else:
                    print(f"FAIL {tag}: {err or p.stdout.strip()}")
                    failed += 1
    print(f"{failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
