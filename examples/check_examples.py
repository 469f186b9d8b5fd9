#!/usr/bin/python3
"""Checks the examples' .heed models against their PyTorch references.

Compiles each examples/<name>/model.heed with heed-compile (--emit=mlir-input,
generic op form), runs the heed IR with a small NumPy interpreter written from
the dialect's op descriptions, and compares every entry function's outputs
with examples/<name>/ref/<function>-len<S>/out.*.npy. This validates the
models (weight names, gate orders, layouts) before any backend exists; the
interpreter is a readable oracle, not a runtime.

Usage: /usr/bin/python3 examples/check_examples.py [--compiler PATH] [--atol 1e-4]
                                                  [--model FILE.heed --compare F G --length L]
"""

import argparse
import glob
import json
import os
import re
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


#===------------------------------------------------------------------------===#
# Reading heed IR (generic form)
#===------------------------------------------------------------------------===#

OP_RE = re.compile(r'^(?:(%[\w]+)(?::(\d+))? = )?"([\w.]+)"\((.*?)\)(?: <\{(.*)\}>)?( \(\{)?(?: : (.*))?$')


def split_top(text, sep=","):
    parts, depth, cur, quote = [], 0, "", False
    for ch in text:
        if ch == '"':
            quote = not quote
        if not quote:
            if ch in "<([{":
                depth += 1
            elif ch in ">)]}":
                depth -= 1
            elif ch == sep and depth == 0:
                parts.append(cur.strip())
                cur = ""
                continue
        cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_attr(value):
    value = value.strip()
    m = re.match(r"^array<i\d+(?::\s*(.*))?>$", value)
    if m:
        return [int(x) for x in m.group(1).split(",")] if m.group(1) else []
    m = re.match(r"^#heed<(\w+) (.*)>$", value)
    if m:
        return set(m.group(2).split("|")) if m.group(1) == "mask" else m.group(2)
    if value.startswith('"'):
        return json.loads(value)
    if value in ("true", "false"):
        return value == "true"
    m = re.match(r"^dense<(.*)> : tensor<(.*)>$", value)
    if m:
        data = json.loads(m.group(1).replace("true", "1").replace("false", "0"))
        dims = m.group(2).split("x")[:-1]
        return np.array(data, dtype=np.float64).reshape([int(d) for d in dims]) \
            if dims else np.array(data, dtype=np.float64)
    m = re.match(r"^(-?[\d.eE+-]+|0x[0-9A-Fa-f]+)(?: : (\w+))?$", value)
    if m:
        text, ty = m.group(1), m.group(2)
        if ty and ty.startswith("i") or ty == "index":
            return int(text)
        return float(text)
    return value  # a type (cast's `to`)


class Op:
    def __init__(self, results, count, name, operands, props, types):
        self.results = results
        self.count = count
        self.name = name
        self.operands = operands
        self.props = props
        self.types = types
        self.region = None  # (args, ops) for scan
        self.result_types = []


def parse_block(lines, i):
    """Parses ops until a line closing the region; returns (ops, i)."""
    ops = []
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("})"):
            return ops, i
        if not line or line.startswith("^bb") or line.startswith("}"):
            i += 1
            continue
        m = OP_RE.match(line)
        if not m:
            raise ValueError("cannot read: " + line)
        res, count, name, operands, props, region, types = m.groups()
        operands = [o.strip() for o in operands.split(",") if o.strip()]
        attrs = {}
        for part in split_top(props or ""):
            if " = " in part:
                key, val = part.split(" = ", 1)
                attrs[key.strip()] = parse_attr(val)
            else:
                attrs[part.strip()] = True
        op = Op(res, int(count) if count else (1 if res else 0), name, operands, attrs, types)
        i += 1
        if region:
            header = lines[i].strip()
            args = re.findall(r"(%\w+):", header) if header.startswith("^bb") else []
            body, i = parse_block(lines, i + (1 if header.startswith("^bb") else 0))
            op.region = (args, body)
            op.types = lines[i].strip()[len("}) : "):]
            i += 1
        ops.append(op)
    return ops, i


def parse_module(text):
    lines = text.splitlines()
    functions = {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith('"func.func"'):
            name = re.search(r'sym_name = "(\w+)"', line).group(1)
            args = re.findall(r"(%\w+):", lines[i + 1])
            body, i = parse_block(lines, i + 2)
            functions[name] = (args, body)
        i += 1
    return functions


#===------------------------------------------------------------------------===#
# The interpreter
#===------------------------------------------------------------------------===#

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def cell_step(kind, x, h, c, w_ih, w_hh, b_ih, b_hh, activation="tanh", lbr=True):
    gi = x @ w_ih.T + (b_ih if b_ih is not None else 0)
    gh = h @ w_hh.T + (b_hh if b_hh is not None else 0)
    if kind == "lstm":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c2 = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c2), c2
    if kind == "gru":
        ir, iz, inn = np.split(gi, 3, axis=-1)
        hr, hz, hn = np.split(gh, 3, axis=-1)
        r, z = sigmoid(ir + hr), sigmoid(iz + hz)
        n = np.tanh(inn + r * hn)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (np.maximum(pre, 0) if activation == "relu" else np.tanh(pre)), None


def recurrent(kind, op, args):
    seg = op.props["operandSegmentSizes"]
    names = ["input", "h0", "c0", "lengths", "weights"] if kind == "lstm" else \
        ["input", "h0", "lengths", "weights"]
    groups, at = {}, 0
    for name, n in zip(names, seg):
        groups[name] = args[at:at + n]
        at += n
    x = groups["input"][0]
    if op.props.get("batch_first"):
        x = x.transpose(1, 0, 2)
    steps, batch = x.shape[0], x.shape[1]
    hidden = op.props["hidden_size"]
    layers = op.props.get("num_layers", 1)
    dirs = 2 if op.props.get("bidirectional") else 1
    has_b = op.props.get("has_biases", True)
    lengths = groups["lengths"][0] if groups["lengths"] else np.full(batch, steps)
    h0 = groups["h0"][0] if groups["h0"] else np.zeros((layers * dirs, batch, hidden))
    c0 = groups.get("c0") and groups["c0"][0] if groups.get("c0") else \
        np.zeros((layers * dirs, batch, hidden))
    ws = groups["weights"]
    per = 4 if has_b else 2
    finals_h, finals_c = [], []
    inp = x
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            w = ws[(layer * dirs + d) * per:(layer * dirs + d + 1) * per]
            b_ih, b_hh = (w[2], w[3]) if has_b else (None, None)
            h, c = h0[layer * dirs + d], c0[layer * dirs + d]
            out = np.zeros((steps, batch, hidden))
            order = range(steps) if d == 0 else range(steps - 1, -1, -1)
            for t in order:
                valid = (t < lengths)[:, None]
                h2, c2 = cell_step(kind, inp[t], h, c, w[0], w[1], b_ih, b_hh,
                                   op.props.get("activation", "tanh"))
                h = np.where(valid, h2, h)
                if c2 is not None:
                    c = np.where(valid, c2, c)
                out[t] = np.where(valid, h2, 0)
            outs.append(out)
            finals_h.append(h)
            finals_c.append(c)
        inp = np.concatenate(outs, -1)
    out = inp.transpose(1, 0, 2) if op.props.get("batch_first") else inp
    results = [out, np.stack(finals_h)]
    if kind == "lstm":
        results.append(np.stack(finals_c))
    return results


def key_mask(kind, mask, scores_shape):
    """Boolean 'visible' mask broadcastable to the scores, or an additive one."""
    if "lengths" in kind:
        lk = scores_shape[-1]
        visible = np.arange(lk)[None, :] < mask[:, None]  # [B, Lk]
        shape = [visible.shape[0]] + [1] * (len(scores_shape) - 2) + [lk]
        return visible.reshape(shape), None
    if "boolean" in kind:
        return mask.astype(bool), None
    if "additive" in kind:
        return None, mask
    return None, None


def masked_softmax(scores, visible, additive):
    if additive is not None:
        scores = scores + additive
    if visible is not None:
        visible = np.broadcast_to(visible, scores.shape)
        scores = np.where(visible, scores, -np.inf)
    m = np.max(scores, axis=-1, keepdims=True)
    dead = ~np.isfinite(m)
    e = np.exp(scores - np.where(dead, 0, m))
    s = e.sum(-1, keepdims=True)
    return np.where(dead | (s == 0), 0, e / np.where(s == 0, 1, s))


def attention(op, args):
    q, k, v = args[0], args[1], args[2]
    mask = args[3] if len(args) > 3 else None
    heads = op.props.get("num_heads", 0)
    if heads:
        kv_heads = op.props.get("num_kv_heads", 0) or heads
        b, lq, lk = q.shape[0], q.shape[1], k.shape[1]
        q = q.reshape(b, lq, heads, -1).transpose(0, 2, 1, 3)
        k = k.reshape(b, lk, kv_heads, -1).transpose(0, 2, 1, 3).repeat(heads // kv_heads, 1)
        v = v.reshape(b, lk, kv_heads, -1).transpose(0, 2, 1, 3).repeat(heads // kv_heads, 1)
    scores = (q @ np.swapaxes(k, -1, -2)) * op.props["scale"]
    kind = op.props.get("mask_kind", {"none"})
    visible, additive = key_mask(kind, mask, scores.shape)
    if "causal" in kind:
        lq, lk = scores.shape[-2], scores.shape[-1]
        shift = lk - lq if op.props.get("causal_align") == "bottom_right" else 0
        causal = np.arange(lk)[None, :] <= np.arange(lq)[:, None] + shift
        visible = causal if visible is None else (visible & causal)
    weights = masked_softmax(scores, visible, additive)
    out = weights @ v
    if heads:
        out = out.transpose(0, 2, 1, 3).reshape(out.shape[0], out.shape[2], -1)
    return [out, weights] if op.props.get("return_weights") else [out]


def additive_attention(op, args):
    q, keys, values, wq, vv = args[:5]
    mask = args[5] if len(args) > 5 else None
    step = q.ndim == 2
    if step:
        q = q[:, None, :]
    scores = np.tanh((q @ wq.T)[:, :, None, :] + keys[:, None, :, :]) @ vv  # [B, Lq, Lk]
    visible, additive = key_mask(op.props.get("mask_kind", {"none"}), mask, scores.shape)
    weights = masked_softmax(scores, visible, additive)
    out = weights @ values
    if step:
        out, weights = out[:, 0], weights[:, 0]
    return [out, weights] if op.props.get("return_weights") else [out]


def onnx_reshape(x, spec):
    shape = [x.shape[i] if d == 0 else d for i, d in enumerate(spec)]
    return x.reshape(shape)


def positions(offset, length, dim, base, interleaved):
    p = np.arange(offset, offset + length, dtype=np.float64)[:, None]
    i = np.arange(0, dim, 2, dtype=np.float64)
    angle = p / np.power(base, i / dim)
    pe = np.zeros((length, dim))
    if interleaved:
        pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    else:
        pe[:, :dim // 2], pe[:, dim // 2:] = np.sin(angle), np.cos(angle)
    return pe


def result_shape(types):
    """The static dims of the first result type, with -1 for dynamic."""
    m = re.search(r"-> \(?tensor<([^>]*)>", types)
    dims = m.group(1).split("x")[:-1]
    return [-1 if d == "?" else int(d) for d in dims]


def run_ops(ops, env, weights):
    for op in ops:
        a = [env[o] for o in op.operands]
        p = op.props
        n = op.name
        if n in ("func.return", "heed.yield"):
            return a
        if n == "heed.weight":
            out = [weights[p["name"]]]
        elif n == "heed.constant":
            out = [p["value"]]
        elif n == "arith.constant":
            out = [p["value"]]
        elif n in ("arith.addi", "arith.subi", "arith.muli"):
            out = [{"arith.addi": a[0] + a[1], "arith.subi": a[0] - a[1],
                    "arith.muli": a[0] * a[1]}[n]]
        elif n == "heed.dim":
            out = [a[0].shape[p["dim"]]]
        elif n == "heed.full":
            dims, dyn = result_shape(op.types), iter(a)
            out = [np.full([next(dyn) if d < 0 else d for d in dims], p["value"])]
        elif n == "heed.embedding":
            out = [a[0][a[1]]]
        elif n == "heed.linear":
            w = a[1].T if p.get("transpose_weight", True) else a[1]
            out = [a[0] @ w + (a[2] if len(a) > 2 else 0)]
        elif n == "heed.matmul":
            x = np.swapaxes(a[0], -1, -2) if p.get("transpose_a") else a[0]
            y = np.swapaxes(a[1], -1, -2) if p.get("transpose_b") else a[1]
            out = [x @ y]
        elif n in ("heed.add", "heed.sub", "heed.mul", "heed.div", "heed.max", "heed.min",
                   "heed.pow", "heed.and", "heed.or"):
            f = {"heed.add": np.add, "heed.sub": np.subtract, "heed.mul": np.multiply,
                 "heed.div": np.divide, "heed.max": np.maximum, "heed.min": np.minimum,
                 "heed.pow": np.power, "heed.and": np.logical_and, "heed.or": np.logical_or}[n]
            out = [f(a[0], a[1])]
        elif n == "heed.compare":
            f = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
                 "gt": np.greater, "ge": np.greater_equal}[p["predicate"]]
            out = [f(a[0], a[1])]
        elif n == "heed.where":
            out = [np.where(a[0], a[1], a[2])]
        elif n in ("heed.tanh", "heed.relu", "heed.sigmoid", "heed.exp", "heed.log", "heed.neg",
                   "heed.sqrt", "heed.abs", "heed.not"):
            f = {"heed.tanh": np.tanh, "heed.relu": lambda x: np.maximum(x, 0),
                 "heed.sigmoid": sigmoid, "heed.exp": np.exp, "heed.log": np.log,
                 "heed.neg": np.negative, "heed.sqrt": np.sqrt, "heed.abs": np.abs,
                 "heed.not": np.logical_not}[n]
            out = [f(a[0])]
        elif n == "heed.softmax":
            out = [softmax(a[0], p.get("axis", -1))]
        elif n == "heed.log_softmax":
            out = [log_softmax(a[0], p.get("axis", -1))]
        elif n == "heed.layer_norm":
            x = a[0]
            mean = x.mean(-1, keepdims=True)
            var = ((x - mean) ** 2).mean(-1, keepdims=True)
            y = (x - mean) / np.sqrt(var + p.get("epsilon", 1e-5))
            out = [y * a[1] + a[2]]
        elif n == "heed.reshape":
            out = [onnx_reshape(a[0], p["shape"])]
        elif n == "heed.transpose":
            out = [a[0].transpose(p["permutation"])]
        elif n == "heed.concat":
            out = [np.concatenate(a, p["axis"])]
        elif n == "heed.slice":
            idx = [slice(None)] * a[0].ndim
            end = p.get("end", None)
            idx[p["axis"]] = slice(p["start"], None if end is None or end > 2**62 else end,
                                   p.get("step", 1))
            out = [a[0][tuple(idx)]]
        elif n == "heed.sequence_mask":
            out = [np.arange(a[1])[None, :] < a[0][:, None]]
        elif n == "heed.sinusoidal_positions":
            out = [positions(a[0], a[1], p["dim"], p.get("base", 10000.0),
                             p.get("interleaved", True))]
        elif n == "heed.lstm":
            out = recurrent("lstm", op, a)
        elif n == "heed.gru":
            out = recurrent("gru", op, a)
        elif n == "heed.rnn":
            out = recurrent("rnn", op, a)
        elif n == "heed.lstm_cell":
            b = a[5:7] if len(a) > 5 else [None, None]
            out = list(cell_step("lstm", a[0], a[1], a[2], a[3], a[4], *b))
        elif n in ("heed.gru_cell", "heed.rnn_cell"):
            b = a[4:6] if len(a) > 4 else [None, None]
            out = [cell_step(n[5:8], a[0], a[1], None, a[2], a[3], *b,
                             activation=p.get("activation", "tanh"))[0]]
        elif n == "heed.attention":
            out = attention(op, a)
        elif n == "heed.additive_attention":
            out = additive_attention(op, a)
        elif n == "heed.scan":
            n_init, n_seq, n_len = p["operandSegmentSizes"]
            carried, seqs = a[:n_init], a[n_init:n_init + n_seq]
            steps = seqs[0].shape[0] if seqs else a[-1]
            args, body = op.region
            outputs = []
            order = range(steps - 1, -1, -1) if p.get("reverse") else range(steps)
            per_step = {}
            for t in order:
                local = dict(env)
                for name, value in zip(args, carried + [s[t] for s in seqs]):
                    local[name] = value
                yielded = run_ops(body, local, weights)
                carried = yielded[:n_init]
                per_step[t] = yielded[n_init:]
            stacked = [np.stack([per_step[t][i] for t in range(steps)])
                       for i in range(len(per_step[0]) if steps else 0)]
            out = carried + stacked
        else:
            raise NotImplementedError(n)
        if op.results:
            if op.count == 1:
                env[op.results] = out[0]
            for i, value in enumerate(out):
                env[f"{op.results}#{i}"] = value
    raise ValueError("no return")


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.float32)
        out[name] = array.reshape(entry["shape"]).astype(np.float64)
    return out


def compile_model(heed_compile, model):
    text = subprocess.run([heed_compile, model, "--emit=mlir-input", "--mlir-print-op-generic"],
                          check=True, capture_output=True, text=True).stdout
    path = re.search(r'heed.weights = "([^"]*)"', text)
    weights = load_safetensors(path.group(1)) if path else {}
    return parse_module(text), weights


def run_function(functions, weights, name, inputs):
    args, body = functions[name]
    env = dict(zip(args, inputs))
    return run_ops(body, env, weights)


def check_examples(heed_compile, atol):
    failures = 0
    cases = 0
    for folder in sorted(glob.glob(os.path.join(HERE, "*", "ref"))):
        example = os.path.dirname(folder)
        functions, weights = compile_model(heed_compile, os.path.join(example, "model.heed"))
        for case in sorted(glob.glob(os.path.join(folder, "*-len*"))):
            function = os.path.basename(case).rsplit("-len", 1)[0]
            load = lambda prefix: [np.load(f) for f in sorted(
                glob.glob(os.path.join(case, prefix + ".*.npy")),
                key=lambda f: int(os.path.basename(f).split(".")[1]))]
            inputs = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in load("in")]
            expected = load("out")
            got = run_function(functions, weights, function, inputs)
            cases += 1
            for i, (g, e) in enumerate(zip(got, expected)):
                g = np.asarray(g)
                err = np.max(np.abs(g - e)) if g.shape == e.shape and e.size else 0.0
                if g.shape != e.shape or err > atol:
                    failures += 1
                    print(f"FAIL {os.path.basename(example)} {os.path.basename(case)} out.{i}: "
                          f"shape {g.shape} vs {e.shape}, max error {err}")
            if len(got) != len(expected):
                failures += 1
                print(f"FAIL {os.path.basename(example)} {os.path.basename(case)}: "
                      f"{len(got)} outputs, expected {len(expected)}")
    print(f"{cases} cases, {failures} failures")
    return failures == 0


def compare_functions(heed_compile, model, first, second, length, atol):
    """Runs two functions of one model on the same random inputs (e.g. the fused
    and the hand-spelled attention) and compares their outputs."""
    functions, weights = compile_model(heed_compile, model)
    rng = np.random.RandomState(0)
    types = {}
    for line in subprocess.run([heed_compile, model, "--emit=mlir-input"], check=True,
                               capture_output=True, text=True).stdout.splitlines():
        m = re.match(r"\s*func.func @(\w+)\((.*)\) ->", line)
        if m:
            types[m.group(1)] = re.findall(r"tensor<([^>]*)>", m.group(2))
    inputs = []
    for ty in types[first]:
        dims = [length if d == "?" else int(d) for d in ty.split("x")[:-1]]
        elem = ty.split("x")[-1]
        if elem.startswith("i"):
            inputs.append(np.array([length, max(1, length // 2)] +
                                   [length] * (dims[0] - 2))[:dims[0]])
        else:
            inputs.append(rng.randn(*dims))
    a = run_function(functions, weights, first, inputs)
    b = run_function(functions, weights, second, inputs)
    err = max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))
    print(f"{first} vs {second}: max difference {err}")
    return err <= atol


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--compiler", default=os.path.join(HERE, "..", "build", "bin",
                                                               "heed-compile"))
    parser.add_argument("--atol", type=float, default=1e-4)
    parser.add_argument("--model")
    parser.add_argument("--compare", nargs=2)
    parser.add_argument("--length", type=int, default=5)
    args = parser.parse_args()
    if args.compare:
        ok = compare_functions(args.compiler, args.model, *args.compare, args.length,
                               args.atol)
    else:
        ok = check_examples(args.compiler, args.atol)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
