#!/usr/bin/python3
"""Inputs and reference outputs for test/e2e/dtypes (f16, bf16, ui8, ui32, ui64).

Usage: gen_refs.py OUTDIR        (the checked-in copies live in Inputs/)

References come from numpy and torch, never from Heed:
- f16: numpy. Heed computes each op in f32 and rounds its result once, so
  the references do the same: widen to f32, compute, round with
  astype(np.float16) (numpy rounds to nearest even, from f32 or directly from
  f64).
- bf16: torch's f32 -> bfloat16 conversion (round to nearest even); f64 ->
  bf16 with this file's exact integer rounding (torch would go through f32 and
  round twice). bf16 arrays are written as one-tensor .safetensors files,
  since numpy has no bf16.
- unsigned: numpy's uint8/uint32/uint64 arithmetic, which wraps.
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch

OUT = "."


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), array)


def save_bf16(name, bits):
    """bits: a uint16 array of bf16 bit patterns."""
    data = np.ascontiguousarray(bits, dtype="<u2").tobytes()
    header = json.dumps({name: {"dtype": "BF16", "shape": list(bits.shape),
                                "data_offsets": [0, len(data)]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(len(header).to_bytes(8, "little") + header + data)


def bf16_bits_from_f32(a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    t = torch.from_numpy(a).to(torch.bfloat16)
    bits = t.view(torch.int16).numpy().view(np.uint16).copy()
    # torch 1.13 turns NaN into 0xffff; write the quiet NaN with the input's sign.
    nan = np.isnan(a)
    bits[nan] = (a.view(np.uint32)[nan] >> 16).astype(np.uint16) | 0x0040
    return bits


def bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def bf16_bits_from_f64(values):
    """Exact round-to-nearest-even of doubles to bf16 (normal results only,
    plus inf/nan), on the integer significand: independent of any float
    conversion routine."""
    out = []
    for v in np.asarray(values, dtype=np.float64).ravel():
        v = float(v)
        sign = 0x8000 if math.copysign(1.0, v) < 0 else 0
        if math.isnan(v):
            out.append(sign | 0x7FC0)
            continue
        if math.isinf(v) or v == 0.0:
            out.append(sign | (0x7F80 if math.isinf(v) else 0))
            continue
        m, e = math.frexp(abs(v))            # abs(v) = m * 2^e, 0.5 <= m < 1
        sig = int(m * (1 << 53))             # exact 53-bit significand
        keep = sig >> 45                     # 8 bits: 1.xxxxxxx
        rest = sig & ((1 << 45) - 1)
        half = 1 << 44
        if rest > half or (rest == half and keep & 1):
            keep += 1
        if keep == 1 << 8:                   # carried into the next binade
            keep >>= 1
            e += 1
        exp = e - 1 + 127                    # biased exponent of 1.xxx * 2^(e-1)
        assert 0 < exp < 255, "the test values stay in bf16's normal range"
        out.append(sign | (exp << 7) | (keep & 0x7F))
    return np.array(out, dtype=np.uint16).reshape(np.shape(values))


def f16_case():
    rng = np.random.default_rng(7)
    a = rng.uniform(-2, 2, (2, 3)).astype(np.float16)
    b = rng.uniform(-2, 2, (3,)).astype(np.float16)
    idx = np.array([1, 0, 1], dtype=np.int64)
    m = np.array([[True, False, True], [False, True, False]])
    save("f16_a", a)
    save("f16_b", b)
    save("f16_idx", idx)
    save("f16_m", m)
    w = lambda x: x.astype(np.float32)  # noqa: E731
    add = (w(a) + w(b)).astype(np.float16)
    save("f16_add", add)
    save("f16_transpose", add.T.copy())
    save("f16_concat", np.concatenate([a, add], axis=0))
    save("f16_gather", a[idx])
    save("f16_where", np.where(m, a, add))
    save("f16_tanh", np.tanh(w(a)).astype(np.float16))
    e = np.exp(w(a) - w(a).max(axis=1, keepdims=True))
    save("f16_softmax", (e / e.sum(axis=1, keepdims=True)).astype(np.float16))
    save("f16_matmul", (w(a) @ w(a).T).astype(np.float16))
    save("f16_sum", w(a).sum(axis=1).astype(np.float16))
    save("f16_to_f32", w(a))


def f16_nn_case():
    """layer_norm, attention and an LSTM on f16 storage: each op computes in f32 from the f16
    values and rounds its results once to f16 (the LSTM's outputs are its results)."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float16)
    w = rng.uniform(-0.5, 0.5, (16, 4)).astype(np.float16)
    u = rng.uniform(-0.5, 0.5, (16, 4)).astype(np.float16)
    save("f16nn_x", x)
    save("f16nn_w", w)
    save("f16nn_u", u)
    xf, wf, uf = (a.astype(np.float32) for a in (x, w, u))
    mean = xf.mean(-1, keepdims=True)
    var = ((xf - mean) ** 2).mean(-1, keepdims=True)
    save("f16nn_ln", ((xf - mean) / np.sqrt(var + 1e-5)).astype(np.float16))
    s = xf @ xf.transpose(0, 2, 1) * np.float32(0.5)
    p = np.exp(s - s.max(-1, keepdims=True))
    save("f16nn_attn", ((p / p.sum(-1, keepdims=True)) @ xf).astype(np.float16))
    # heed.lstm input [T=2, B=3, I=4], PyTorch gate order i, f, g, o.
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h = np.zeros((3, 4), np.float32)
    c = np.zeros((3, 4), np.float32)
    ys = []
    for t in range(2):
        i, f, g, o = np.split(xf[t] @ wf.T + h @ uf.T, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        ys.append(h)
    save("f16nn_y", np.stack(ys).astype(np.float16))
    save("f16nn_c", c[None].astype(np.float16))


def bf16_case():
    rng = np.random.default_rng(11)
    x = rng.uniform(-3, 3, (2, 4)).astype(np.float32)
    x[0, 0], x[0, 1], x[0, 2] = np.inf, -np.inf, np.nan
    bits = bf16_bits_from_f32(x)
    save("bf16_x_f32", x)
    save_bf16("bf16_x", bits)
    xw = bf16_to_f32(bits)
    # f32 -> bf16 cast, add in f32 rounded to bf16, transpose, bf16 -> f32.
    save_bf16("bf16_from_f32", bits)
    save_bf16("bf16_add", bf16_bits_from_f32(xw + xw))
    save_bf16("bf16_transpose", bits.T.copy())
    save("bf16_to_f32", xw)
    # f64 -> bf16 directly: values just above a bf16 tie that an f32 detour
    # rounds onto the tie (and then to even), plus ordinary ones.
    d = np.array([1 + 2.0 ** -8 + 2.0 ** -40, -(1 + 2.0 ** -8 + 2.0 ** -40),
                  1 + 3 * 2.0 ** -8, 3.14159265358979, -1e30, 1e-30], dtype=np.float64)
    save("bf16_f64_in", d)
    save_bf16("bf16_from_f64", bf16_bits_from_f64(d))


def f16_cast_case():
    # f64 -> f16 directly (numpy converts doubles to half in one rounding): the
    # first two are just above a half-ulp tie that an f32 detour would hit.
    d = np.array([1 + 2.0 ** -11 + 2.0 ** -40, -(1 + 2.0 ** -11 + 2.0 ** -40), 65504.0,
                  65520.0, 1e-8, 6.0e-5, np.inf, -np.inf], dtype=np.float64)
    save("f16_f64_in", d)
    save("f16_from_f64", d.astype(np.float16))
    save("f16_back_f64", d.astype(np.float16).astype(np.float64))


def unsigned_case():
    rng = np.random.default_rng(3)
    a8 = rng.integers(0, 256, (3, 4), dtype=np.uint8)
    b8 = rng.integers(1, 256, (3, 4), dtype=np.uint8)
    a8[0, 0], b8[0, 0] = 250, 10   # add wraps
    a8[0, 1], b8[0, 1] = 3, 200    # sub wraps
    save("u8_a", a8)
    save("u8_b", b8)
    with np.errstate(over="ignore"):
        save("u8_add", a8 + b8)
        save("u8_sub", a8 - b8)
        save("u8_mul", a8 * b8)
    save("u8_div", a8 // b8)
    save("u8_max", np.maximum(a8, b8))
    save("u8_gt", a8 > b8)
    save("u8_to_f32", a8.astype(np.float32))
    a32 = np.array([0, 1, 4000000000, 4294967295], dtype=np.uint32)
    b32 = np.array([1, 4294967295, 500000000, 2], dtype=np.uint32)
    save("u32_a", a32)
    save("u32_b", b32)
    with np.errstate(over="ignore"):
        save("u32_add", a32 + b32)
        save("u32_mul", a32 * b32)
    save("u32_div", a32 // b32)
    save("u32_lt", a32 < b32)
    a64 = np.array([0, 1, 2 ** 63, 2 ** 64 - 1], dtype=np.uint64)
    b64 = np.array([1, 2 ** 64 - 1, 2 ** 63 + 5, 7], dtype=np.uint64)
    save("u64_a", a64)
    save("u64_b", b64)
    with np.errstate(over="ignore"):
        save("u64_sub", a64 - b64)
    save("u64_div", a64 // b64)
    save("u64_ge", a64 >= b64)
    # ui64 -> f64 and f32 -> ui8 casts (in range: truncation toward zero).
    save("u64_to_f64", a64.astype(np.float64))
    f = np.array([0.0, 1.9, 254.99, 255.0], dtype=np.float32)
    save("f32_for_u8", f)
    save("f32_to_u8", f.astype(np.uint8))


def main():
    global OUT
    OUT = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(OUT, exist_ok=True)
    f16_case()
    f16_nn_case()
    f16_cast_case()
    bf16_case()
    unsigned_case()


if __name__ == "__main__":
    main()
