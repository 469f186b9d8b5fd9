#!/usr/bin/python3
"""Inputs and references for test/e2e/vulkan/dtypes.mlir (f16, bf16, f64, ui8, ui32, ui64).

Usage: gen_dtypes.py OUTDIR        (the checked-in copies live in Inputs/dtypes/)

References come from numpy and torch, never from Heed: f16 ops widen to f32, compute and
round once with astype(np.float16) (numpy rounds to nearest even, from f32 or directly from
f64); bf16 is torch's f32 -> bfloat16 rounding; f64 is numpy's double arithmetic; unsigned
integers are numpy's wrapping uint8/uint32/uint64 arithmetic. Element counts are odd (7, 15)
so that 8- and 16-bit tensors end inside a 32-bit word.
"""

import os
import sys

import numpy as np

OUT = "."
# The writers and the bf16 rounding are the CPU dtype tests' (test/e2e/dtypes/gen_refs.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dtypes"))
import gen_refs  # noqa: E402
from gen_refs import bf16_bits_from_f32 as bf16_bits, save, save_bf16  # noqa: E402


def half(values):
    return np.array(values, dtype=np.float32).astype(np.float16)


def f16():
    # 7 elements; inf, -inf, NaN, -0, a subnormal and the largest f16 included.
    a = half([1.5, -2.25, np.inf, -np.inf, np.nan, -0.0, 65504.0])
    b = half([0.333, 5.96e-8, 2.0, -1.0, 1.0, 3.0, 2.0])
    m = np.array([1, 0, 1, 0, 1, 0, 1], dtype=np.bool_)
    af, bf = a.astype(np.float32), b.astype(np.float32)
    save("f16_a", a)
    save("f16_b", b)
    save("f16_m", m)
    with np.errstate(all="ignore"):
        save("f16_add", (af + bf).astype(np.float16))  # 65504 + 2 rounds back to 65504
        save("f16_mul", (af * bf).astype(np.float16))  # 65504 * 2 overflows to inf
        save("f16_div", (af / bf).astype(np.float16))
        mx = np.where(np.isnan(af) | np.isnan(bf), np.float32(np.nan), np.maximum(af, bf))
        save("f16_max", mx.astype(np.float16))
        save("f16_where", np.where(m, a, b))
        save("f16_lt", af < bf)
        save("f16_to_f32", af)
        # Into integers: truncation, NaN -> 0, +-inf saturate to 64 bits then wrap.
        def to_int(x, dtype):
            out = []
            for v in x.astype(np.float64):
                if np.isnan(v):
                    bits = 0
                elif v >= 2.0 ** 63:
                    bits = 2 ** 64 - 1 if dtype in (np.uint8, np.uint32) else 2 ** 63 - 1
                elif v < -2.0 ** 63:
                    bits = 2 ** 63
                else:
                    bits = int(v) % 2 ** 64
                out.append(bits % (2 ** (8 * np.dtype(dtype).itemsize)))
            return np.array(out, dtype=np.uint64).astype(dtype) if dtype != np.int32 else \
                np.array(out, dtype=np.uint64).astype(np.uint32).view(np.int32)
        save("f16_to_i32", to_int(af, np.int32))
        save("f16_to_u8", to_int(af, np.uint8))
    save_bf16("f16_to_bf16", bf16_bits(af))
    # Data movement on 3x5 (15 elements, an odd number of halves).
    x = (np.arange(15, dtype=np.float32).reshape(3, 5) * 0.3 - 2).astype(np.float16)
    idx = np.array([2, 0], dtype=np.int64)
    save("f16_x", x)
    save("f16_idx", idx)
    save("f16_transpose", x.T.copy())
    save("f16_concat", np.concatenate([x, x[:1]], axis=0))
    save("f16_slice", x[:, 1::2].copy())
    save("f16_gather", x[idx])
    save("f16_broadcast", np.broadcast_to(x[:1], (3, 5)).copy())
    # Unary ops: f32 math, one rounding (compared within tolerance). Without NaN: the CPU's exp
    # (oneDNN) gives inf for NaN.
    xf = x.astype(np.float32)
    save("f16_exp", np.exp(xf).astype(np.float16))
    save("f16_sqrt", np.sqrt(np.abs(xf)).astype(np.float16))
    save("f16_tanh", np.tanh(xf).astype(np.float16))
    save("f16_neg", (-xf).astype(np.float16))


def ties():
    """f32 -> f16 and f32 -> bf16 at and around their rounding ties."""
    u = 2.0 ** -11
    x = np.array([1 + u, 1 + 3 * u, 1 + u + 2 ** -20, 65519.99, 65520.0, 2.0 ** -25,
                  3 * 2.0 ** -26, -(1 + 2 ** -8), 1 + 3 * 2 ** -8, 3.4028235e38, np.nan, -np.inf,
                  -0.0], dtype=np.float32)
    save("ties_x", x)
    save("ties_f16", x.astype(np.float16))
    save_bf16("ties_bf16", bf16_bits(x))


def f64():
    a = np.array([1.5, -2.0, 3.0, 0.0, 1e300, 2.0, np.nan], dtype=np.float64)
    b = np.array([4.0, 3.0, -2.0, 5.0, 1e10, 0.5, 1.0], dtype=np.float64)
    save("f64_a", a)
    save("f64_b", b)
    with np.errstate(all="ignore"):
        save("f64_add", a + b)
        save("f64_sub", a - b)
        save("f64_mul", a * b)  # 1e300 * 1e10 overflows to inf
        save("f64_div", a / b)
        save("f64_min", np.where(np.isnan(a) | np.isnan(b), np.nan, np.minimum(a, b)))
        save("f64_pow", np.power(a, b))
        save("f64_sqrt", np.sqrt(np.abs(a)))
        save("f64_ge", a >= b)
        save("f64_to_f32", a.astype(np.float32))
    # Straight into f16 from the double (through f32 these would round twice): 1 + 2^-11 +
    # 2^-40 is just above a tie and rounds up; through f32 it would be the tie and round down.
    d = np.array([1 + 2.0 ** -11 + 2.0 ** -40, 1 + 2.0 ** -11, -65519.999, 1e-300, np.inf,
                  -np.nan, 2049.0], dtype=np.float64)
    save("f64_d", d)
    save("f64_d_to_f16", d.astype(np.float16))
    save("f64_d_to_i64", np.array([1, 1, -65519, 0, 2 ** 63 - 1, 0, 2049], dtype=np.int64))


def unsigned():
    a = np.array([250, 3, 0, 255, 17, 128, 9], dtype=np.uint8)
    b = np.array([10, 5, 1, 255, 4, 2, 3], dtype=np.uint8)
    save("u8_a", a)
    save("u8_b", b)
    save("u8_add", a + b)
    save("u8_sub", a - b)
    save("u8_mul", a * b)
    save("u8_div", a // b)
    save("u8_min", np.minimum(a, b))
    save("u8_le", a <= b)
    save("u8_to_i32", a.astype(np.int32))
    save("u8_to_f16", a.astype(np.float16))
    c = np.array([4294967295, 7, 2147483648, 0, 65536], dtype=np.uint32)
    d = np.array([2, 3, 2, 9, 65536], dtype=np.uint32)
    save("u32_c", c)
    save("u32_d", d)
    save("u32_sub", c - d)
    save("u32_mul", c * d)
    save("u32_div", c // d)
    save("u32_max", np.maximum(c, d))
    save("u32_to_i32", c.view(np.int32))
    save("u32_to_f64", c.astype(np.float64))
    e = np.array([18446744073709551615, 9223372036854775808, 5], dtype=np.uint64)
    f = np.array([1, 2, 7], dtype=np.uint64)
    save("u64_e", e)
    save("u64_f", f)
    save("u64_add", e + f)
    save("u64_mul", e * f)
    save("u64_div", e // f)
    save("u64_gt", e > f)
    save("u64_to_f32", e.astype(np.float32))
    save("u64_to_i64", e.view(np.int64))
    # Into unsigned: i64 wraps, f32 truncates (a negative one through its 64-bit value).
    g = np.array([-1, 300, 4294967297], dtype=np.int64)
    h = np.array([-1.5, 3.9, 1e10], dtype=np.float32)
    save("i64_g", g)
    save("f32_h", h)
    save("i64_to_u32", g.astype(np.uint32))
    save("f32_to_u32", np.array([2 ** 32 - 1, 3, 10000000000 % 2 ** 32], dtype=np.uint32))
    save("f32_to_u64", np.array([2 ** 64 - 1, 3, 10000000000], dtype=np.uint64))


def full():
    """heed.full of 0.1, 200, 4e9 and 2^64 - 1 (0.1 rounds the same to bf16 from f32 or f64)."""
    save("full_f16", np.full(3, 0.1, np.float16))
    save_bf16("full_bf16", bf16_bits(np.full(3, 0.1, np.float32)))
    save("full_f64", np.full(3, 0.1, np.float64))
    save("full_u8", np.full(3, 200, np.uint8))
    save("full_u32", np.full(3, 4000000000, np.uint32))
    save("full_u64", np.full(3, 2 ** 64 - 1, np.uint64))


if __name__ == "__main__":
    OUT = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(OUT, exist_ok=True)
    gen_refs.OUT = OUT
    f16()
    ties()
    f64()
    unsigned()
    full()
