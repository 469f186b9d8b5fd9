#!/usr/bin/python3
"""Inputs and independent reference outputs for the e2e suite.

Usage: gen_refs.py CASE OUTDIR

Each case writes its inputs and expected outputs as small .npy files, for two
or more sequence lengths, computed with numpy (float64 where it matters) or
torch; never with Heed. Run with /usr/bin/python3 (Debian's numpy and torch).
"""

import math
import os
import sys

import numpy as np

CASES = {}
OUT = "."


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), array)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def rng(seed):
    return np.random.default_rng(seed)


erf = np.vectorize(math.erf)


@case
def elementwise():
    for L in (3, 7):
        r = rng(L)
        x = f32(r.standard_normal((L, 4)))
        p = f32(r.uniform(0.5, 2.0, 4))
        q = f32(r.uniform(0.1, 3.0, (L, 4)))
        b = r.random((L, 1)) < 0.5
        save(f"x_{L}", x)
        save(f"p_{L}", p)
        save(f"q_{L}", q)
        save(f"b_{L}", b)
        xd, pd, qd = x.astype(np.float64), p.astype(np.float64), q.astype(np.float64)
        arith = [xd + pd, pd - xd, xd * pd, xd / pd, np.maximum(xd, pd), np.minimum(xd, pd),
                 np.power(pd, xd)]
        for i, a in enumerate(arith):
            save(f"arith{i}_{L}", f32(a))
        gelu = 0.5 * xd * (1 + erf(xd / math.sqrt(2)))
        gelu_tanh = 0.5 * xd * (1 + np.tanh(math.sqrt(2 / math.pi) * (xd + 0.044715 * xd**3)))
        unary = [np.abs(xd), erf(xd), np.exp(xd), np.log(qd), -xd, 1 / qd, np.maximum(xd, 0),
                 1 / np.sqrt(qd), 1 / (1 + np.exp(-xd)), np.sqrt(qd), np.tanh(xd), gelu, gelu_tanh]
        save(f"unary_{L}", f32(np.concatenate(unary, axis=0)))
        lt = x < p
        o = (~lt & b) | (x >= p)
        save(f"logic0_{L}", o)
        save(f"logic1_{L}", np.where(lt, x, p).astype(np.float32))
        save(f"logic2_{L}", np.trunc(x * p).astype(np.int32))
        save(f"logic3_{L}", o.astype(np.float32))


@case
def matmul():
    for L in (5, 9):
        r = rng(100 + L)
        q = f32(r.standard_normal((2, 2, L, 8)))
        k = f32(r.standard_normal((2, 2, L + 1, 8)))
        save(f"q_{L}", q)
        save(f"k_{L}", k)
        qd, kd = q.astype(np.float64), k.astype(np.float64)
        save(f"scores_{L}", f32(qd @ kd.swapaxes(-1, -2)))
        save(f"ta_{L}", f32(qd.swapaxes(-1, -2) @ qd))
        x = f32(r.standard_normal((3, L, 6)))
        m = f32(r.standard_normal((6, 3)))
        w = f32(r.standard_normal((5, 6)))
        bias = f32(r.standard_normal(5))
        save(f"x_{L}", x)
        save(f"m_{L}", m)
        save(f"w_{L}", w)
        save(f"bias_{L}", bias)
        xd = x.astype(np.float64)
        save(f"shared_{L}", f32(xd @ m.astype(np.float64)))
        save(f"bcast_{L}", f32(xd @ m.astype(np.float64)))
        save(f"lin_{L}", f32(xd @ w.astype(np.float64).T + bias))
        save(f"linT_{L}", f32(xd @ w.astype(np.float64).T))


def softmax64(x, axis):
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def layer_norm64(x, axes, g=None, b=None, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if g is not None:
        y = y * g
    if b is not None:
        y = y + b
    return y


@case
def normalization():
    for L in (4, 11):
        r = rng(200 + L)
        x = f32(r.standard_normal((2, L, 16)) * 3)
        g = f32(r.uniform(0.5, 1.5, 16))
        b = f32(r.standard_normal(16))
        for n, a in (("x", x), ("g", g), ("b", b)):
            save(f"{n}_{L}", a)
        xd = x.astype(np.float64)
        save(f"sm_{L}", f32(softmax64(xd, -1)))
        save(f"sm1_{L}", f32(softmax64(xd, 1)))
        save(f"lsm_{L}", f32(np.log(softmax64(xd, -1))))
        save(f"big_{L}", f32(softmax64(x * np.float32(1000), -1)))
        save(f"ln_{L}", f32(layer_norm64(xd, (-1,), g, b)))
        save(f"ln0_{L}", f32(layer_norm64(xd, (-1,))))
        save(f"ln2_{L}", f32(layer_norm64(xd, (1, 2))))


@case
def data_movement():
    for L in (3, 8):
        r = rng(300 + L)
        x = f32(r.standard_normal((2, L, 8)))
        y = f32(r.standard_normal((2, 1, 8)))
        save(f"x_{L}", x)
        save(f"y_{L}", y)
        save(f"heads_{L}", x.reshape(2, L, 2, 4).transpose(0, 2, 1, 3).copy())
        cat = np.concatenate([x, y, x], axis=1)
        save(f"cat_{L}", cat)
        save(f"sl_{L}", cat[:, -5:100:2].copy())
        save(f"bc_{L}", np.broadcast_to(y, x.shape).copy())
        save(f"flat_{L}", x.reshape(2, -1).copy())
        table = f32(r.standard_normal((10, 8)))
        ids = r.integers(0, 10, (2, L)).astype(np.int64)
        gi = r.integers(-L, L, L + 2).astype(np.int32)
        save(f"table_{L}", table)
        save(f"ids_{L}", ids)
        save(f"gi_{L}", gi)
        save(f"emb_{L}", table[ids])
        save(f"gat_{L}", np.take(x, gi, axis=1))


@case
def masks_positions():
    def pe(offset, n, dim, interleaved):
        pos = np.arange(offset, offset + n, dtype=np.float64)[:, None]
        i = np.arange(dim // 2, dtype=np.float64)[None, :]
        angle = pos / np.power(10000.0, 2 * i / dim)
        out = np.zeros((n, dim))
        if interleaved:
            out[:, 0::2] = np.sin(angle)
            out[:, 1::2] = np.cos(angle)
        else:
            out[:, : dim // 2] = np.sin(angle)
            out[:, dim // 2 :] = np.cos(angle)
        return f32(out)

    for L in (6, 13):
        r = rng(400 + L)
        lengths = r.integers(0, L + 1, 3).astype(np.int64)
        save(f"len_{L}", lengths)
        save(f"seq_{L}", np.arange(L)[None, :] < lengths[:, None])
        M = 9
        i, j = np.arange(L)[:, None], np.arange(M)[None, :]
        save(f"tl_{L}", j <= i)
        save(f"br_{L}", j <= i + (M - L))
        save(f"pe_{L}", pe(3, L, 16, True))
        save(f"pe2_{L}", pe(3, L, 16, False))


@case
def reductions():
    for L in (5, 12):
        r = rng(500 + L)
        x = f32(r.integers(-4, 5, (2, L, 6)) * 0.5 + r.standard_normal((2, L, 6)) * 0.01)
        x[0, 0, :3] = 7.0  # ties: the first index wins
        save(f"x_{L}", x)
        xd = x.astype(np.float64)
        save(f"sum_{L}", f32(xd.sum(axis=1, keepdims=True)))
        save(f"mean_{L}", f32(xd.mean(axis=(1, 2))))
        save(f"max_{L}", x.max(axis=-1, keepdims=True))
        save(f"min_{L}", x.min(axis=0))
        save(f"prod_{L}", f32(xd.prod(axis=1)))
        save(f"am_{L}", np.argmax(x, axis=-1).astype(np.int64))
        save(f"am1_{L}", np.argmax(x, axis=1)[:, None, :].astype(np.int64))
        order = np.argsort(-x, axis=-1, kind="stable")[..., :3]
        save(f"tkv_{L}", np.take_along_axis(x, order, axis=-1))
        save(f"tki_{L}", order.astype(np.int64))


def main():
    global OUT
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit("usage: gen_refs.py {%s} OUTDIR" % ",".join(sorted(CASES)))
    OUT = sys.argv[2]
    os.makedirs(OUT, exist_ok=True)
    CASES[sys.argv[1]]()


if __name__ == "__main__":
    main()
