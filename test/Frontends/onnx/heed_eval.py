#!/usr/bin/python3
"""A slow, obvious numpy interpreter of heed IR, as the ONNX importer emits it.

Usage:
  heed_eval.py IR.mlir --input=a.npy ... [--expected=out.npy ...] [--atol=1e-4 --rtol=1e-3]

IR.mlir is `heed-compile MODEL --emit=mlir-input --mlir-print-op-generic`.
Runs @main on the inputs and compares each result with the expected .npy
(NaNs must match). It checks what the importer means, op by op, against
reference outputs while no Heed backend runs yet; it is not a backend. The
op semantics are those of dialects/heed/IR/HeedOps.td.
"""

import argparse
import math
import re
import struct
import sys

import numpy as np

DTYPES = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "i1": np.bool_,
          "i32": np.int32, "i64": np.int64, "index": np.int64, "bf16": np.float32,
          "ui8": np.uint8, "ui32": np.uint32, "ui64": np.uint64}


def split_top(text, sep=","):
    """Splits at top-level separators (outside <>, [], (), {} and quotes)."""
    parts, depth, quote, cur = [], 0, False, []
    for ch in text:
        if ch == '"':
            quote = not quote
        elif not quote:
            if ch in "<[({":
                depth += 1
            elif ch in ">])}":
                depth -= 1
            elif ch == sep and depth == 0:
                parts.append("".join(cur).strip())
                cur = []
                continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def parse_tensor_type(t):
    t = t.strip()
    if t == "index":
        return (), "index"
    m = re.fullmatch(r"tensor<(.*)>", t)
    dims = m.group(1).split("x")
    return tuple(None if d == "?" else int(d) for d in dims[:-1]), dims[-1]


def hex_to_float(h, element):
    bits = int(h, 16)
    if element in ("f32",):
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    if element == "f64":
        return struct.unpack("<d", struct.pack("<Q", bits))[0]
    if element == "f16":
        return float(np.frombuffer(struct.pack("<H", bits), np.float16)[0])
    return float(bits)


def parse_dense(body, type_text):
    shape, element = parse_tensor_type(type_text)
    dtype = DTYPES[element]
    body = body.strip()
    if not body or int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype)
    if body.startswith('"0x'):
        raw = bytes.fromhex(body[3:-1])
        if element == "i1":
            arr = np.frombuffer(raw, np.uint8).astype(np.bool_)
        else:
            arr = np.frombuffer(raw, dtype)
        if arr.size == 1 and int(np.prod(shape)) != 1:
            return np.full(shape, arr[0], dtype)
        return arr.reshape(shape).copy()
    text = re.sub(r"0x[0-9A-Fa-f]+", lambda m: repr(hex_to_float(m.group(0), element)), body)
    text = text.replace("true", "True").replace("false", "False")
    text = text.replace("inf", "float('inf')").replace("nan", "float('nan')")
    value = eval(text)  # numbers and nested lists only
    if not isinstance(value, list):
        return np.full(shape, value, dtype)
    return np.array(value, dtype).reshape(shape)


def parse_attr(text):
    text = text.strip()
    m = re.fullmatch(r"dense<(.*)> : (tensor<.*>)", text, re.S)
    if m:
        return parse_dense(m.group(1), m.group(2))
    m = re.fullmatch(r"array<i\d+(?::(.*))?>", text)
    if m:
        return [int(v) for v in (m.group(1) or "").split(",") if v.strip()]
    m = re.fullmatch(r"#heed<\w+ (.*)>", text)
    if m:
        return m.group(1)
    if text in ("true", "false"):
        return text == "true"
    m = re.fullmatch(r"(\S+) : (\w+)", text)
    if m:
        v, t = m.groups()
        if v.startswith("0x"):
            return hex_to_float(v, t)
        return float(v) if t.startswith(("f", "bf")) else int(v)
    if text == "unit":
        return True
    return text  # a type attribute


def parse_props(text):
    props = {}
    for item in split_top(text):
        if "=" in item:
            key, value = item.split("=", 1)
            props[key.strip()] = parse_attr(value)
        else:
            props[item.strip()] = True
    return props


OP_RE = re.compile(r'^\s*(?:(%[\w]+)(?::(\d+))? = )?"([\w.]+)"\((.*?)\)\s*(?:<\{(.*)\}>)?\s*'
                   r':\s*\((.*?)\)\s*->\s*(.*)$')


def parse_function(text):
    """Returns (argument names, ops) of @main."""
    args, ops = [], []
    lines = text.splitlines()
    for line in lines:
        m = re.match(r"\s*\^bb0\((.*)\):", line)
        if m:
            args = [a.split(":")[0].strip() for a in split_top(m.group(1))]
            continue
        m = OP_RE.match(line)
        if not m:
            continue
        name, count, opname, operands, props, _, results = m.groups()
        if opname in ("func.func", "builtin.module"):
            continue
        result_types = split_top(results.strip().strip("()")) if results.strip() != "()" else []
        ops.append({
            "name": name, "count": int(count or 1), "op": opname,
            "operands": [o.strip() for o in operands.split(",") if o.strip()],
            "props": parse_props(props) if props else {},
            "types": result_types,
        })
    return args, ops


def softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def onnx_slice_bounds(n, start, end, step):
    """ONNX Slice's clamping of one axis as a Python slice (heed.slice_dynamic)."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if step > 0:
        return slice(min(max(start, 0), n), min(max(end, 0), n), step)
    start, end = min(max(start, -1), n - 1), min(max(end, -1), n - 1)
    return slice(start, None if end < 0 else end, step) if start >= 0 else slice(0, 0)


CMPI = {0: lambda a, b: a == b, 1: lambda a, b: a != b, 2: lambda a, b: a < b,
        3: lambda a, b: a <= b, 4: lambda a, b: a > b, 5: lambda a, b: a >= b}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def onnx_reshape(x, spec):
    shape = [x.shape[i] if d == 0 else d for i, d in enumerate(spec)]
    return x.reshape(shape)


def recurrent(kind, x, h0, c0, lengths, weights, p):
    hidden = p["hidden_size"]
    layers = p.get("num_layers", 1)
    dirs = 2 if p.get("bidirectional", False) else 1
    biases = p.get("has_biases", True)
    batch_first = p.get("batch_first", False)
    lbr = p.get("linear_before_reset", True)
    act = np.tanh if p.get("activation", "tanh") == "tanh" else (lambda v: np.maximum(v, 0))
    if batch_first:
        x = x.transpose(1, 0, 2)
    steps, batch = x.shape[0], x.shape[1]
    lengths = np.full(batch, steps) if lengths is None else lengths.astype(np.int64)
    zeros = np.zeros((layers * dirs, batch, hidden), x.dtype)
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    peep = p.get("peepholes", False)
    input_forget = p.get("input_forget", False)
    reverse = p.get("reverse", False)
    clip = p.get("clip")
    pre = (lambda v: v) if clip is None else (lambda v: np.clip(v, -clip, clip))
    cell = 4 if biases else 2
    per = cell + (1 if peep else 0)
    hs, cs = [], []
    layer_in = x
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            w = weights[(layer * dirs + d) * per:(layer * dirs + d + 1) * per]
            w_ih, w_hh = w[0], w[1]
            b_ih = w[2] if biases else 0
            b_hh = w[3] if biases else 0
            h = h0[layer * dirs + d].copy()
            c = c0[layer * dirs + d].copy()
            y = np.zeros((steps, batch, hidden), x.dtype)
            pi, pf, po = np.split(w[cell], 3) if peep else (0, 0, 0)
            backward = d == 1 or reverse
            order = range(steps - 1, -1, -1) if backward else range(steps)
            for t in order:
                live = (t < lengths)[:, None]
                gi = layer_in[t] @ w_ih.T + b_ih
                gh = h @ w_hh.T + b_hh
                if kind == "lstm":
                    i, f, g, o = np.split(gi + gh, 4, axis=1)
                    i = sigmoid(pre(i + pi * c))
                    f = 1 - i if input_forget else sigmoid(pre(f + pf * c))
                    nc = f * c + i * np.tanh(pre(g))
                    nh = sigmoid(pre(o + po * nc)) * np.tanh(nc)
                    c = np.where(live, nc, c)
                elif kind == "gru":
                    ir, iz, inn = np.split(gi, 3, axis=1)
                    hr, hz, hn = np.split(gh, 3, axis=1)
                    r, z = sigmoid(pre(ir + hr)), sigmoid(pre(iz + hz))
                    if lbr:
                        n = np.tanh(pre(inn + r * hn))
                    else:
                        whn = w_hh[2 * hidden:]
                        bhn = b_hh[2 * hidden:] if biases else 0
                        n = np.tanh(pre(inn + (r * h) @ whn.T + bhn))
                    nh = (1 - z) * n + z * h
                else:
                    nh = act(pre(gi + gh))
                h = np.where(live, nh, h)
                y[t] = np.where(live, nh, 0)
            outs.append(y)
            hs.append(h)
            cs.append(c)
        layer_in = np.concatenate(outs, axis=2)
    out = layer_in.transpose(1, 0, 2) if batch_first else layer_in
    return out, np.stack(hs), np.stack(cs)


def attention(q, k, v, mask, p):
    heads = p.get("num_heads", 0)
    kv_heads = p.get("num_kv_heads", 0) or heads
    kinds = set(p.get("mask_kind", "none").split("|"))
    if heads:
        b, lq, _ = q.shape
        lk = k.shape[1]
        q = q.reshape(b, lq, heads, -1).transpose(0, 2, 1, 3)
        k = k.reshape(b, lk, kv_heads, -1).transpose(0, 2, 1, 3)
        v = v.reshape(b, lk, kv_heads, -1).transpose(0, 2, 1, 3)
    if q.ndim >= 4 and k.shape[-3] != q.shape[-3] and k.shape[-3] != 1:
        group = q.shape[-3] // k.shape[-3]
        k = np.repeat(k, group, axis=-3)
        v = np.repeat(v, group, axis=-3)
    s = p["scale"] * (q @ np.swapaxes(k, -1, -2))
    lq, lk = s.shape[-2], s.shape[-1]
    allowed = np.ones(s.shape, bool)
    if "additive" in kinds:
        s = s + mask
    if "boolean" in kinds:
        allowed &= np.broadcast_to(mask, s.shape)
    if "lengths" in kinds:
        keep = np.arange(lk)[None, :] < mask[:, None]
        allowed &= keep.reshape((mask.shape[0],) + (1,) * (s.ndim - 2) + (lk,))
    if "causal" in kinds:
        offset = lk - lq if p.get("causal_align", "top_left") == "bottom_right" else 0
        allowed &= np.arange(lk)[None, :] <= np.arange(lq)[:, None] + offset
    s = np.where(allowed, s, -np.inf)
    with np.errstate(invalid="ignore"):
        w = softmax(s, -1)
    if p.get("masked_rows", "zero") == "zero":
        dead = ~np.isfinite(s).any(axis=-1, keepdims=True)
        w = np.where(dead, 0, w)
    out = w @ v
    if heads:
        out = out.transpose(0, 2, 1, 3).reshape(out.shape[0], out.shape[2], -1)
    return out, w


UNARY = {
    "heed.abs": np.abs, "heed.exp": np.exp, "heed.log": np.log, "heed.neg": np.negative,
    "heed.reciprocal": lambda x: 1 / x, "heed.relu": lambda x: np.maximum(x, 0),
    "heed.rsqrt": lambda x: 1 / np.sqrt(x), "heed.sigmoid": sigmoid, "heed.sqrt": np.sqrt,
    "heed.floor": np.floor, "heed.ceil": np.ceil, "heed.round": np.round,
    "heed.tanh": np.tanh, "heed.not": np.logical_not, "heed.sign": np.sign,
    "heed.is_nan": np.isnan,
    "heed.erf": lambda x: np.vectorize(math.erf, otypes=[x.dtype])(x),
}


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf, otypes=[x.dtype])(x / math.sqrt(2)))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


# heed.linear's `activation`, applied to x W^T + b.
LINEAR_ACTIVATIONS = {"none": lambda x: x, "relu": UNARY["heed.relu"], "gelu": gelu,
                      "gelu_tanh": gelu_tanh, "tanh": np.tanh, "sigmoid": sigmoid,
                      "silu": lambda x: x * sigmoid(x)}
COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
           "gt": np.greater, "ge": np.greater_equal}


def binary(op, a, b):
    if op == "heed.add" or op == "arith.addi":
        return a + b
    if op == "heed.sub" or op == "arith.subi":
        return a - b
    if op == "heed.mul" or op == "arith.muli":
        return a * b
    if op in ("heed.div", "arith.divsi"):
        if np.issubdtype(np.asarray(a).dtype, np.integer):
            return (np.trunc(np.true_divide(a, b))).astype(np.asarray(a).dtype)
        return a / b
    if op == "heed.max":
        return np.maximum(a, b)
    if op == "heed.min":
        return np.minimum(a, b)
    if op == "heed.pow":
        return np.power(a, b)
    if op == "heed.and":
        return a & b
    if op == "heed.or":
        return a | b
    raise KeyError(op)


def run(ops, env):
    results = None
    for o in ops:
        op, p = o["op"], o["props"]
        args = [env[a] for a in o["operands"]]
        with np.errstate(all="ignore"):
            if op == "func.return":
                results = args
                break
            if op in ("heed.constant", "arith.constant"):
                out = p["value"]
            elif op == "heed.dim":
                out = args[0].shape[p["dim"]]
            elif op == "heed.extract":
                out = int(np.asarray(args[0]).reshape(-1)[p["index"]])
            elif op == "heed.check":
                count = p["operandSegmentSizes"][0]
                if not all(args[:count]):
                    raise ValueError("heed.check: %s %s" % (p["message"].strip('"'),
                                                            ", ".join(map(str, args[count:]))))
                out = None
            elif op == "arith.cmpi":
                out = bool(CMPI[p["predicate"]](args[0], args[1]))
            elif op == "arith.select":
                out = args[1] if args[0] else args[2]
            elif op == "heed.full":
                shape, element = parse_tensor_type(o["types"][0])
                dyn = iter(args)
                dims = [next(dyn) if d is None else d for d in shape]
                out = np.full(dims, p["value"], DTYPES[element])
            elif op == "heed.range":
                out = np.arange(args[0], args[1], args[2], dtype=np.int64)
            elif op in UNARY:
                out = UNARY[op](args[0])
            elif op == "heed.gelu":
                out = (gelu_tanh if p.get("approximate") == "tanh" else gelu)(args[0])
            elif op == "heed.compare":
                out = COMPARE[p["predicate"]](args[0], args[1])
            elif op == "heed.where":
                out = np.where(args[0], args[1], args[2])
            elif op == "heed.cast":
                to = DTYPES[p["to"]]
                out = (args[0] != 0) if to is np.bool_ else args[0].astype(to)
            elif op == "heed.softmax":
                out = softmax(args[0], p.get("axis", -1))
            elif op == "heed.log_softmax":
                x = args[0]
                axis = p.get("axis", -1)
                m = np.max(x, axis=axis, keepdims=True)
                out = x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
            elif op == "heed.layer_norm":
                x = args[0]
                seg = p.get("operandSegmentSizes", [1, 0, 0])
                rest = iter(args[1:])
                scale = next(rest) if seg[1] else None
                bias = next(rest) if seg[2] else None
                axis = p.get("axis", -1) % x.ndim
                axes = tuple(range(axis, x.ndim))
                mean = x.mean(axis=axes, keepdims=True)
                var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
                out = (x - mean) / np.sqrt(var + p.get("epsilon", 1e-5))
                if scale is not None:
                    out = out * scale
                if bias is not None:
                    out = out + bias
            elif op == "heed.matmul":
                a, b = args
                if p.get("transpose_a", False):
                    a = np.swapaxes(a, -1, -2)
                if p.get("transpose_b", False):
                    b = np.swapaxes(b, -1, -2)
                out = a @ b
            elif op == "heed.linear":
                w = args[1].T if p.get("transpose_weight", True) else args[1]
                out = args[0] @ w
                if len(args) > 2:
                    out = out + args[2]
                out = LINEAR_ACTIVATIONS[p.get("activation", "none")](out)
            elif op == "heed.reshape":
                out = onnx_reshape(args[0], p["shape"])
            elif op == "heed.reshape_dynamic":
                spec = [int(a) for a in args[1:]]
                out = args[0].reshape(spec) if p.get("allowzero") else onnx_reshape(args[0], spec)
            elif op == "heed.transpose":
                out = args[0].transpose(p["permutation"])
            elif op == "heed.concat":
                out = np.concatenate(args, axis=p["axis"])
            elif op == "heed.slice":
                x = args[0]
                index = [slice(None)] * x.ndim
                end = p.get("end", 2 ** 63 - 1)
                index[p["axis"]] = slice(p["start"], end, p.get("step", 1))
                out = x[tuple(index)]
            elif op == "heed.slice_dynamic":
                x = args[0]
                index = [slice(None)] * x.ndim
                axis = p["axis"] % x.ndim
                index[axis] = onnx_slice_bounds(x.shape[axis], *[int(a) for a in args[1:4]])
                out = x[tuple(index)]
            elif op == "heed.broadcast":
                out = np.broadcast_to(args[0], np.broadcast_shapes(args[0].shape, args[1].shape))
            elif op == "heed.gather":
                out = np.take(args[0], args[1], axis=p.get("axis", 0))
            elif op == "heed.embedding":
                out = args[0][args[1]]
            elif op in ("heed.argmax", "heed.argmin"):
                fn = np.argmax if op == "heed.argmax" else np.argmin
                x, axis = args[0], p.get("axis", -1)
                if p.get("select_last_index", False):
                    out = x.shape[axis] - 1 - fn(np.flip(x, axis), axis=axis)
                else:
                    out = fn(x, axis=axis)
                out = out.astype(np.int64)
                if p.get("keep_dims", False):
                    out = np.expand_dims(out, axis)
            elif op == "heed.is_inf":
                x = args[0]
                out = ((np.isposinf(x) & p.get("detect_positive", True))
                       | (np.isneginf(x) & p.get("detect_negative", True)))
            elif op == "heed.gather_elements":
                x, idx, axis = args[0], args[1], p.get("axis", 0)
                coords = list(np.indices(idx.shape))
                coords[axis] = np.where(idx < 0, idx + x.shape[axis], idx)
                out = x[tuple(coords)]
            elif op == "heed.cumsum":
                x = args[0]
                axis = int(np.asarray(args[1]).reshape(-1)[0]) if len(args) > 1 else p["axis"]
                if p.get("reverse", False):
                    x = np.flip(x, axis)
                out = np.cumsum(x, axis=axis, dtype=x.dtype)
                if p.get("exclusive", False):
                    out = out - x
                if p.get("reverse", False):
                    out = np.flip(out, axis)
            elif op == "heed.top_k":
                axis = p.get("axis", -1)
                # Descending, the first of equal values first (a stable sort of the negation).
                order = np.argsort(-args[0], axis=axis, kind="stable")
                k = p["k"] if "k" in p else int(args[1])  # the attribute, or k_value
                idx = np.take(order, np.arange(k), axis=axis).astype(np.int64)
                out = [np.take_along_axis(args[0], idx, axis=axis), idx]
            elif op == "heed.reduce":
                fn = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
                      "prod": np.prod}[p["kind"]]
                # The axes attribute, or the axis_values operands read at run time.
                nd = args[0].ndim
                axes = [int(a) for a in args[1:]] or p["axes"]
                if any(not -nd <= a < nd for a in axes) or len({a % nd for a in axes}) < len(axes):
                    raise ValueError("heed.reduce: bad axes %s for rank %d" % (axes, nd))
                out = fn(args[0], axis=tuple(axes), keepdims=p.get("keep_dims", False))
            elif op in ("heed.lstm", "heed.gru", "heed.rnn"):
                seg = p["operandSegmentSizes"]
                it = iter(args)
                x = next(it)
                h0 = next(it) if seg[1] else None
                c0 = next(it) if op == "heed.lstm" and seg[2] else None
                lengths = next(it) if seg[-2] else None
                weights = list(it)
                y, h, c = recurrent(op.split(".")[1], x, h0, c0, lengths, weights, p)
                out = [y, h, c] if op == "heed.lstm" else [y, h]
            elif op == "heed.attention":
                mask = args[3] if len(args) > 3 else None
                y, w = attention(args[0], args[1], args[2], mask, p)
                out = [y, w] if p.get("return_weights") else y
            elif op.startswith("arith.") or op in ("heed.add", "heed.sub", "heed.mul", "heed.div",
                                                   "heed.max", "heed.min", "heed.pow",
                                                   "heed.and", "heed.or"):
                out = binary(op, args[0], args[1])
            else:
                raise NotImplementedError("heed_eval.py: no semantics for " + op)
        if o["count"] > 1:
            for i, value in enumerate(out):
                env["%s#%d" % (o["name"], i)] = value
        elif o["name"]:
            if isinstance(out, np.ndarray) and o["types"]:
                _, element = parse_tensor_type(o["types"][0])
                if element != "index":
                    out = out.astype(DTYPES[element], copy=False)
            env[o["name"]] = out
    return results


def evaluate(ir_text, inputs):
    """Runs @main of the generic-form IR on a list of numpy inputs."""
    names, ops = parse_function(ir_text)
    if len(names) != len(inputs):
        raise ValueError("@main takes %d inputs, got %d" % (len(names), len(inputs)))
    return [np.asarray(r) for r in run(ops, dict(zip(names, inputs)))]


def compare(got, want, atol, rtol):
    """None if got matches want (NaNs included), else a one-line reason."""
    if got.shape != want.shape:
        return "shape %s, expected %s" % (got.shape, want.shape)
    if got.dtype == np.bool_ or want.dtype == np.bool_:
        bad = got.astype(np.bool_) != want.astype(np.bool_)
    else:
        bad = ~np.isclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol,
                          equal_nan=True)
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        return "%d of %d elements differ; first at %s: %r vs %r" % (
            bad.sum(), bad.size, idx, got[idx], want[idx])
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ir")
    parser.add_argument("--input", action="append", default=[])
    parser.add_argument("--expected", action="append", default=[])
    parser.add_argument("--atol", type=float, default=1e-4)
    parser.add_argument("--rtol", type=float, default=1e-3)
    args = parser.parse_args()
    with open(args.ir) as f:
        text = f.read()
    try:
        results = evaluate(text, [np.load(p) for p in args.input])
    except ValueError as e:
        print("heed_eval.py: %s" % e)
        return 1
    status = 0
    for i, path in enumerate(args.expected):
        want = np.load(path)
        got = results[i]
        why = compare(got, want, args.atol, args.rtol)
        if why:
            print("output %d: %s" % (i, why))
            status = 1
        else:
            err = np.nanmax(np.abs(got.astype(np.float64) - want)) if got.size else 0.0
            print("output %d: ok, shape %s, max abs error %.3g" % (i, got.shape, err))
    return status


if __name__ == "__main__":
    sys.exit(main())
