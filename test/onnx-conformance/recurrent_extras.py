#!/usr/bin/python3
"""ONNX LSTM / GRU / RNN features the backend node tests barely cover:
direction=reverse, clip, LSTM input_forget and peepholes (also bidirectional,
with sequence lengths). Writes, per case, OUT/CASE/model.onnx, in_*.npy and
ref_*.npy, where the references come from this file's numpy transcription of
the ONNX operator equations (gate order i, o, f, c; P in i, o, f order), in
float64. Then runs each model with heed-run (compiled on the fly, CPU) and
compares its outputs with the references (atol 1e-4, rtol 1e-3): prints
"PASS CASE" or "FAIL CASE: first error line".

Usage: recurrent_extras.py OUTDIR TOOLS_DIR
"""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

T, B, I, H = 5, 3, 4, 3


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference(kind, x, w, r, b, p, lengths, h0, c0, direction, clip, input_forget, lbr):
    """Y [T, dirs, B, H], Y_h [dirs, B, H] (and Y_c) per the ONNX spec."""
    dirs = 2 if direction == "bidirectional" else 1
    cl = (lambda v: v) if clip is None else (lambda v: np.clip(v, -clip, clip))
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    ys = np.zeros((T, dirs, B, H))
    hs, cs = [], []
    for d in range(dirs):
        backward = direction == "reverse" or d == 1
        W, R = w[d], r[d]
        Wb = b[d][:gates * H] if b is not None else np.zeros(gates * H)
        Rb = b[d][gates * H:] if b is not None else np.zeros(gates * H)
        h = h0[d].copy() if h0 is not None else np.zeros((B, H))
        c = c0[d].copy() if c0 is not None else np.zeros((B, H))
        for bi in range(B):
            n = lengths[bi] if lengths is not None else T
            steps = range(n - 1, -1, -1) if backward else range(n)
            hb, cb = h[bi].copy(), c[bi].copy()
            for t in steps:
                xt = x[t, bi]
                if kind == "LSTM":
                    g = xt @ W.T + hb @ R.T + Wb + Rb
                    gi, go, gf, gc = np.split(g, 4)
                    pi, po, pf = np.split(p[d], 3) if p is not None else (0, 0, 0)
                    it = sigmoid(cl(gi + pi * cb))
                    ft = 1 - it if input_forget else sigmoid(cl(gf + pf * cb))
                    ct = np.tanh(cl(gc))
                    cb = ft * cb + it * ct
                    ot = sigmoid(cl(go + po * cb))
                    hb = ot * np.tanh(cb)
                elif kind == "GRU":
                    Wz, Wr, Wh = np.split(W, 3)
                    Rz, Rr, Rh = np.split(R, 3)
                    Wbz, Wbr, Wbh = np.split(Wb, 3)
                    Rbz, Rbr, Rbh = np.split(Rb, 3)
                    zt = sigmoid(cl(xt @ Wz.T + hb @ Rz.T + Wbz + Rbz))
                    rt = sigmoid(cl(xt @ Wr.T + hb @ Rr.T + Wbr + Rbr))
                    if lbr:
                        ht = np.tanh(cl(xt @ Wh.T + rt * (hb @ Rh.T + Rbh) + Wbh))
                    else:
                        ht = np.tanh(cl(xt @ Wh.T + (rt * hb) @ Rh.T + Rbh + Wbh))
                    hb = (1 - zt) * ht + zt * hb
                else:
                    hb = np.tanh(cl(xt @ W.T + hb @ R.T + Wb + Rb))
                ys[t, d, bi] = hb
            h[bi], c[bi] = hb, cb
        hs.append(h)
        cs.append(c)
    return ys, np.stack(hs), np.stack(cs)


CASES = {
    # name: (kind, direction, clip, input_forget, peepholes, lengths, initial states, lbr)
    "lstm_reverse": ("LSTM", "reverse", None, 0, False, False, True, 0),
    "lstm_clip": ("LSTM", "forward", 0.7, 0, False, False, False, 0),
    "lstm_input_forget": ("LSTM", "forward", None, 1, False, False, True, 0),
    "lstm_peepholes_bidirectional_lengths": ("LSTM", "bidirectional", None, 0, True, True, True, 0),
    # Without lengths: the CPU runs it as oneDNN's peephole LSTM (with lengths: Heed's loop).
    "lstm_peepholes_bidirectional": ("LSTM", "bidirectional", None, 0, True, False, True, 0),
    "gru_classic_bidirectional": ("GRU", "bidirectional", None, 0, False, False, True, 0),
    "lstm_everything_reverse": ("LSTM", "reverse", 0.9, 1, True, True, True, 0),
    "gru_reverse_clip": ("GRU", "reverse", 0.6, 0, False, True, True, 1),
    "gru_clip_classic": ("GRU", "forward", 0.5, 0, False, False, False, 0),
    "rnn_reverse_clip": ("RNN", "reverse", 0.8, 0, False, True, False, 0),
}


def make(out, name, spec):
    kind, direction, clip, input_forget, peep, with_lengths, with_states, lbr = spec
    rng = np.random.default_rng(sum(name.encode()))
    dirs = 2 if direction == "bidirectional" else 1
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    x = rng.uniform(-2, 2, (T, B, I)).astype(np.float32)
    w = rng.uniform(-1, 1, (dirs, gates * H, I)).astype(np.float32)
    r = rng.uniform(-1, 1, (dirs, gates * H, H)).astype(np.float32)
    b = rng.uniform(-1, 1, (dirs, 2 * gates * H)).astype(np.float32)
    p = rng.uniform(-1, 1, (dirs, 3 * H)).astype(np.float32) if peep else None
    lengths = np.array([T, 2, 4][:B], dtype=np.int32) if with_lengths else None
    h0 = rng.uniform(-1, 1, (dirs, B, H)).astype(np.float32) if with_states else None
    c0 = rng.uniform(-1, 1, (dirs, B, H)).astype(np.float32) if with_states and kind == "LSTM" \
        else None

    # Graph inputs: X, then the optional ones that are present; weights are initializers.
    names = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]
    values = {"X": x, "W": w, "R": r, "B": b, "sequence_lens": lengths, "initial_h": h0,
              "initial_c": c0, "P": p}
    used = names[:{"LSTM": 8, "GRU": 6, "RNN": 6}[kind]]
    node_inputs = [n if values[n] is not None else "" for n in used]
    while node_inputs and node_inputs[-1] == "":
        node_inputs.pop()
    runtime = ["X"] + [n for n in ("initial_h", "initial_c") if n in used and values[n] is not None]
    outputs = ["Y", "Y_h"] + (["Y_c"] if kind == "LSTM" else [])
    attrs = {"hidden_size": H, "direction": direction}
    if clip is not None:
        attrs["clip"] = clip
    if kind == "LSTM" and input_forget:
        attrs["input_forget"] = 1
    if kind == "GRU":
        attrs["linear_before_reset"] = lbr
    node = helper.make_node(kind, node_inputs, outputs, **attrs)

    def info(n, a):
        return helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(a.dtype)], a.shape)

    inits = [helper.make_tensor(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(values[n].dtype)],
                                values[n].shape, values[n].ravel())
             for n in node_inputs if n and n not in runtime]
    ys, hs, cs = reference(kind, x.astype(np.float64), w.astype(np.float64),
                           r.astype(np.float64), b.astype(np.float64),
                           None if p is None else p.astype(np.float64), lengths,
                           None if h0 is None else h0.astype(np.float64),
                           None if c0 is None else c0.astype(np.float64),
                           direction, clip, input_forget, lbr)
    refs = [ys, hs] + ([cs] if kind == "LSTM" else [])
    graph = helper.make_graph([node], name, [info(n, values[n]) for n in runtime],
                              [info(o, a.astype(np.float32)) for o, a in zip(outputs, refs)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(model)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for i, n in enumerate(runtime):
        np.save(os.path.join(d, "in_%d.npy" % i), values[n])
    for i, a in enumerate(refs):
        np.save(os.path.join(d, "ref_%d.npy" % i), a.astype(np.float32))
    return d, len(runtime), len(refs)


def main():
    out, tools = sys.argv[1], sys.argv[2]
    failed = 0
    for name, spec in CASES.items():
        d, n_in, n_out = make(out, name, spec)
        cmd = [os.path.join(tools, "heed-run"), os.path.join(d, "model.onnx")]
        cmd += ["--input=@%s" % os.path.join(d, "in_%d.npy" % i) for i in range(n_in)]
        cmd += ["--expected-output=@%s" % os.path.join(d, "ref_%d.npy" % i) for i in range(n_out)]
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if run.returncode == 0:
            print("PASS %s" % name)
            continue
        failed += 1
        lines = [l for l in run.stderr.decode(errors="replace").splitlines() if l.strip()]
        print("FAIL %s: %s" % (name, lines[0] if lines else "exit %d" % run.returncode))
    print("%d of %d cases pass" % (len(CASES) - failed, len(CASES)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
