#!/usr/bin/python3
"""Small ONNX models of single ops run by heed-run against numpy.

Usage: onnx_ops.py --tools=BUILD/bin --work=DIR --device=cpu|vulkan [CASE...]

Each case builds a one- or few-node ONNX model, computes its expected outputs
with numpy (never with Heed), writes inputs and outputs as .npy and runs
  heed-run MODEL --device=D --input=@in.npy ... --expected-output=@out.npy ...
(f32 within heed-run's default atol 1e-4 / rtol 1e-3; integers and bools exactly).
Prints "MATCH <case>" or "FAIL <case>: <heed-run's first error line>".
A case listed in REFUSED_ON[device] must instead fail with the given message.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper as h
from onnx import numpy_helper as nh

RNG = np.random.default_rng(7)
DT = {np.dtype(np.float32): onnx.TensorProto.FLOAT, np.dtype(np.float64): onnx.TensorProto.DOUBLE,
      np.dtype(np.int32): onnx.TensorProto.INT32, np.dtype(np.int64): onnx.TensorProto.INT64,
      np.dtype(np.bool_): onnx.TensorProto.BOOL}
CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def model(op, inputs, outputs, inits=(), opset=17, **attrs):
    """One node `op` over the graph inputs `inputs` ({name: array}) and initializers `inits`."""
    names = list(inputs) + [n for n, _ in inits]
    node = h.make_node(op, names if not attrs.get("_inputs") else attrs.pop("_inputs"),
                       list(outputs), name=op.lower(), **attrs)
    graph = h.make_graph(
        [node], op,
        [h.make_tensor_value_info(n, DT[a.dtype], a.shape) for n, a in inputs.items()],
        [h.make_tensor_value_info(n, DT[a.dtype], None) for n, a in outputs.items()],
        [nh.from_array(a, n) for n, a in inits])
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    return m, inputs, outputs


def specials(shape=(3, 5)):
    """f32 values with both infinities, NaN, signed zeros and ordinary numbers."""
    x = RNG.standard_normal(shape).astype(np.float32) * 3
    flat = x.reshape(-1)
    flat[:6] = [np.inf, -np.inf, np.nan, 0.0, -0.0, np.nan]
    return x


# --- 1. IsNaN, IsInf ----------------------------------------------------------
@case
def isnan():
    x = specials()
    return model("IsNaN", {"x": x}, {"y": np.isnan(x)})


@case
def isinf():
    x = specials()
    return model("IsInf", {"x": x}, {"y": np.isinf(x)})


@case
def isinf_negative():
    x = specials()
    return model("IsInf", {"x": x}, {"y": np.isneginf(x)}, detect_positive=0)


@case
def isinf_positive():
    x = specials()
    return model("IsInf", {"x": x}, {"y": np.isposinf(x)}, detect_negative=0)


@case
def isinf_neither():
    x = specials()
    return model("IsInf", {"x": x}, {"y": np.zeros(x.shape, bool)}, detect_negative=0,
                 detect_positive=0)


# --- 2. Sign, integer Abs/Neg/Min/Max ----------------------------------------------
def signed_ints(dtype):
    info = np.iinfo(dtype)
    x = RNG.integers(-1000, 1000, (4, 6)).astype(dtype)
    x.reshape(-1)[:4] = [0, info.min, info.max, -1]
    return x


@case
def sign_f32():
    x = specials()
    return model("Sign", {"x": x}, {"y": np.sign(x)})


@case
def sign_i32():
    x = signed_ints(np.int32)
    return model("Sign", {"x": x}, {"y": np.sign(x)})


@case
def sign_i64():
    x = signed_ints(np.int64)
    return model("Sign", {"x": x}, {"y": np.sign(x)})


@case
def abs_i32():
    x = signed_ints(np.int32)
    return model("Abs", {"x": x}, {"y": np.abs(x)})  # abs(INT_MIN) wraps to INT_MIN, as numpy


@case
def abs_i64():
    x = signed_ints(np.int64)
    return model("Abs", {"x": x}, {"y": np.abs(x)})


@case
def neg_i32():
    x = signed_ints(np.int32)
    return model("Neg", {"x": x}, {"y": np.negative(x)})


@case
def neg_i64():
    x = signed_ints(np.int64)
    return model("Neg", {"x": x}, {"y": np.negative(x)})


@case
def abs_f32():
    x = specials()
    return model("Abs", {"x": x}, {"y": np.abs(x)})


@case
def neg_f32():
    x = specials()
    return model("Neg", {"x": x}, {"y": np.negative(x)})


def minmax(op, dtype, fn):
    a = signed_ints(dtype)
    b = RNG.integers(-1000, 1000, (1, 6)).astype(dtype)
    c = RNG.integers(-1000, 1000, (4, 1)).astype(dtype)
    return model(op, {"a": a, "b": b, "c": c}, {"y": fn(fn(a, b), c)})


@case
def max_i32():
    return minmax("Max", np.int32, np.maximum)


@case
def min_i32():
    return minmax("Min", np.int32, np.minimum)


@case
def max_i64():
    return minmax("Max", np.int64, np.maximum)


@case
def min_i64():
    return minmax("Min", np.int64, np.minimum)


# --- 3. ArgMax / ArgMin --------------------------------------------------------------
def ties(dtype):
    """Few distinct values, so every row has ties for its max and its min."""
    return RNG.integers(-2, 3, (3, 4, 5)).astype(dtype)


def arg_ref(fn, x, axis, keepdims, last):
    if last:
        flipped = np.flip(x, axis)
        y = x.shape[axis] - 1 - fn(flipped, axis=axis)
    else:
        y = fn(x, axis=axis)
    y = y.astype(np.int64)
    return np.expand_dims(y, axis) if keepdims else y


def arg_case(op, dtype, axis, keepdims, last):
    x = ties(dtype)
    fn = np.argmax if op == "ArgMax" else np.argmin
    return model(op, {"x": x}, {"y": arg_ref(fn, x, axis, keepdims, last)}, axis=axis,
                 keepdims=keepdims, select_last_index=last)


for _op in ("ArgMax", "ArgMin"):
    for _dt in (np.float32, np.int64):
        for _axis, _keep, _last in ((1, 1, 0), (-1, 0, 1), (0, 1, 1), (2, 0, 0)):
            _name = "%s_%s_a%d_k%d_l%d" % (_op.lower(), np.dtype(_dt).name, _axis % 3, _keep,
                                           _last)
            CASES[_name] = (lambda o=_op, d=_dt, a=_axis, k=_keep, l=_last:
                            arg_case(o, d, a, k, l))


@case
def argmin_nan():
    # numpy's argmin (the ONNX reference) takes the first NaN; with select_last_index the last.
    x = np.array([[3, np.nan, -1, np.nan, 2], [5, 4, -7, -7, 0]], np.float32)
    return model("ArgMin", {"x": x}, {"y": arg_ref(np.argmin, x, 1, 0, 1)}, axis=1, keepdims=0,
                 select_last_index=1)


# --- 5. GatherElements ------------------------------------------------------------------
def gather_elements_ref(x, idx, axis):
    # ONNX's rule: the indices' other dims may be smaller than x's (take_along_axis would
    # broadcast instead), so the coordinates are spelled out.
    coords = list(np.indices(idx.shape))
    coords[axis] = np.where(idx < 0, idx + x.shape[axis], idx)
    return x[tuple(coords)]


@case
def gather_elements_axis0():
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    idx = RNG.integers(-4, 4, (5, 3)).astype(np.int64)
    return model("GatherElements", {"x": x, "i": idx}, {"y": gather_elements_ref(x, idx, 0)},
                 axis=0)


@case
def gather_elements_axis_last():
    x = RNG.integers(-100, 100, (2, 3, 6)).astype(np.int64)
    idx = RNG.integers(-6, 6, (2, 2, 4)).astype(np.int32)
    return model("GatherElements", {"x": x, "i": idx}, {"y": gather_elements_ref(x, idx, 2)},
                 axis=-1)


@case
def gather_elements_out_of_range():
    # Index 4 on an axis of 4: a run-time error naming the op, never a read past the data.
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    idx = np.array([[0, 4]], np.int64)
    return model("GatherElements", {"x": x, "i": idx}, {"y": np.zeros((1, 2), np.float32)},
                 axis=0)


# --- 4. CumSum ---------------------------------------------------------------------------
def cumsum_ref(x, axis, exclusive, reverse):
    if reverse:
        x = np.flip(x, axis)
    y = np.cumsum(x, axis=axis, dtype=x.dtype)
    if exclusive:
        y = y - x
    return np.flip(y, axis) if reverse else y


def cumsum_case(dtype, axis, exclusive, reverse, axis_input):
    if dtype == np.float32:
        x = RNG.standard_normal((3, 4, 5)).astype(dtype)
    else:
        x = RNG.integers(-50, 50, (3, 4, 5)).astype(dtype)
    ax = np.array(axis, np.int64)
    y = cumsum_ref(x, axis, exclusive, reverse)
    if axis_input:
        return model("CumSum", {"x": x, "axis": ax}, {"y": y}, exclusive=exclusive,
                     reverse=reverse)
    return model("CumSum", {"x": x}, {"y": y}, inits=[("axis", ax)], exclusive=exclusive,
                 reverse=reverse)


for _dt in (np.float32, np.int32, np.int64):
    for _axis, _ex, _rev in ((0, 0, 0), (1, 1, 0), (-1, 0, 1), (2, 1, 1)):
        for _in in (0, 1):
            _name = "cumsum_%s_a%d_e%d_r%d_%s" % (np.dtype(_dt).name, _axis % 3, _ex, _rev,
                                                 "input" if _in else "const")
            CASES[_name] = (lambda d=_dt, a=_axis, e=_ex, r=_rev, i=_in:
                            cumsum_case(d, a, e, r, i))


# --- 6. Einsum ---------------------------------------------------------------------------
EINSUMS = {
    "einsum_bmm": ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    "einsum_bmm_implicit": ("bij,bjk", [(2, 3, 4), (2, 4, 5)]),
    "einsum_attention_scores": ("bhqd,bhkd->bhqk", [(2, 3, 4, 8), (2, 3, 5, 8)]),
    "einsum_attention_values": ("bhqk,bhkd->bqhd", [(2, 3, 4, 5), (2, 3, 5, 8)]),
    "einsum_inner": ("i,i", [(7,), (7,)]),
    "einsum_outer": ("i,j->ij", [(3,), (4,)]),
    "einsum_outer_implicit": ("j,i", [(3,), (4,)]),
    "einsum_matvec": ("ij,j->i", [(3, 4), (4,)]),
    "einsum_sum_letter": ("ij,jk->i", [(3, 4), (4, 5)]),
    "einsum_broadcast_batch": ("bij,jk->bki", [(2, 3, 4), (4, 5)]),
    "einsum_elementwise": ("ij,ij->ij", [(3, 4), (3, 4)]),
    "einsum_scaled_rows": ("ij,i->ji", [(3, 4), (3,)]),
    "einsum_transpose": ("ij->ji", [(3, 4)]),
    "einsum_transpose_implicit": ("ba", [(3, 4)]),
    "einsum_sum_all": ("ij->", [(3, 4)]),
    "einsum_sum_axis": ("ijk->ki", [(2, 3, 4)]),
    "einsum_ellipsis_bmm": ("...ij,...jk->...ik", [(2, 3, 4, 5), (2, 3, 5, 6)]),
    "einsum_ellipsis_transpose": ("...ij->...ji", [(2, 3, 4)]),
    "einsum_spaces": ("bij, bjk -> bik", [(2, 3, 4), (2, 4, 5)]),
}


def einsum_case(eq, shapes):
    xs = {"x%d" % i: RNG.standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)}
    y = np.einsum(eq, *xs.values()).astype(np.float32)
    return model("Einsum", xs, {"y": np.asarray(y)}, equation=eq)


for _name, (_eq, _shapes) in EINSUMS.items():
    CASES[_name] = lambda e=_eq, s=_shapes: einsum_case(e, s)

# Cases a device refuses, with the message heed-run must give: an out-of-range index on both.
REFUSED_ON = {
    "cpu": {"gather_elements_out_of_range": "index 4 at position 1 is out of range [-4, 4)"},
    "vulkan": {"gather_elements_out_of_range": "index 4 at position 1 is out of range [-4, 4)"},
}


def run_case(name, tools, work, device):
    m, inputs, outputs = CASES[name]()
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    onnx.save(m, path)
    cmd = [os.path.join(tools, "heed-run"), path, "--device=" + device]
    for flag, arrays in (("--input", inputs), ("--expected-output", outputs)):
        for n, a in arrays.items():
            f = os.path.join(d, "%s.%s.npy" % (flag[2:], n))
            np.save(f, np.asarray(a).copy(order="C"))  # heed-run reads C order
            cmd.append("%s=@%s" % (flag, f))
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = run.stderr.decode(errors="replace").strip()
    first = next((l for l in err.splitlines() if "error" in l), err.splitlines()[0] if err else "")
    refused = REFUSED_ON.get(device, {}).get(name)
    if refused is not None:
        ok = run.returncode == 1 and refused in err
        return ("REFUSED %s: %s" % (name, first)) if ok else (
            "FAIL %s: expected a refusal with '%s', got status %d: %s" %
            (name, refused, run.returncode, first))
    if run.returncode == 0:
        return "MATCH " + name
    return "FAIL %s: status %d: %s" % (name, run.returncode, first)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tools", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("cases", nargs="*", help="case names or prefixes (default: all)")
    a = p.parse_args()
    names = [n for n in CASES if not a.cases or any(n.startswith(c) for c in a.cases)]
    counts = {"MATCH": 0, "REFUSED": 0, "FAIL": 0}
    for n in names:
        line = run_case(n, a.tools, a.work, a.device)
        counts[line.split()[0]] += 1
        print(line, flush=True)
    print("SUMMARY %s: %d MATCH, %d REFUSED, %d FAIL" % (a.device, counts["MATCH"],
                                                       counts["REFUSED"], counts["FAIL"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
